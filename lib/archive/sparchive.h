/* sparchive.h - sp archives (tar.gz with .sp-manifest.json first): the one
 * verifying reader that sp-unpack and sp-cloudd share, and the writer of
 * sp-pack. No function here calls sp_die (allocation failure aside) and
 * none keeps global mutable state, so a threaded server can use them. */
#ifndef SP_SPARCHIVE_H
#define SP_SPARCHIVE_H

#include <stddef.h>
#include <jansson.h>

#include <archive.h>	/* libarchive's: struct archive in the reader/writer API */

#include "archive/manifest.h"

#define SP_ARCHIVE_MAX_DEFAULT (4LL << 30)	/* --max-size default: 4 GiB */
#define SP_ARCHIVE_MAX_DIRS 100000	/* directory entries per archive */

/* Read a tar.gz from fd completely and verify it exactly as sp-unpack
 * does (manifest first, every entry listed with equal size and SHA-256,
 * every listed file present, unsafe entries refused, at most max_size
 * bytes compressed and uncompressed, at most SP_ARCHIVE_MAX_DIRS
 * directory entries, intact gzip), writing nothing.
 * Returns 0 and sets *manifest (the members of .sp-manifest.json but its
 * file list, which is never held as a tree, plus "file_count"; caller
 * decrefs); otherwise SP_EX_DATAERR (or SP_EX_IOERR for a read error)
 * with "ENTRY: reason" in err. */
int sp_archive_verify_fd(int fd, long long max_size, json_t **manifest, char *err, size_t errlen);

/* As sp_archive_verify_fd, also handing over the exact bytes of the
 * manifest entry (malloc'd, NUL-terminated, *len bytes; caller frees) on
 * success: what "manifest_sha256" is the SHA-256 of. text may be NULL. */
int sp_archive_verify_fd_text(int fd, long long max_size, json_t **manifest, char **text, size_t *len,
    char *err, size_t errlen);

/* Flags of the _opt functions. SP_AR_PLAIN: also take a plain tarball,
 * one whose first entry is not .sp-manifest.json (upstream's format):
 * every entry passes the same safety checks, is hashed on the way, and
 * the manifest is built from the entries (file modes as sp-pack writes
 * them: 0644 or 0755, 0777 for a symlink; timestamp the newest mtime). */
#define SP_AR_PLAIN 1

/* SP_AR_PARTIAL: an sp archive (a delta: sp-download --have) may leave out
 * listed files; the entries it has are checked as always, and the
 * caller finds the others (f->seen 0 once sp_areader_next returned -1). */
#define SP_AR_PARTIAL 2

/* As sp_archive_verify_fd_text with flags; *plain (may be NULL) is set to
 * 1 when the archive had no manifest and *manifest, *text were built. */
int sp_archive_verify_fd_opt(int fd, long long max_size, int flags, json_t **manifest, char **text,
    size_t *len, int *plain, char *err, size_t errlen);

/* Rewrite the plain tarball on in (read from where it stands) as an sp
 * archive on out: the manifest text[0..len) first (as built by
 * sp_archive_verify_fd_opt), then every entry in the order it came, with
 * normalized headers, each verified again against that manifest. 0 with
 * the new archive's SHA-256 and size, or an exit status with the message
 * in err (74 for a write error). */
int sp_archive_repack(int in, long long max_size, const char *text, size_t len, int out, int level,
    char *hex, long long *size, char *err, size_t errlen);

/* ---- the streaming reader behind it ---- */

enum { SP_AE_FILE = 1, SP_AE_LINK, SP_AE_DIR };

struct sp_aentry {
	const char *path;	/* clean relative path (valid until the next call) */
	int kind;		/* SP_AE_* */
	long long mtime;	/* from the tar header */
	const struct sp_mfile *file;	/* the manifest entry; NULL for a directory
					 * (valid until the next call) */
};

struct sp_areader;

/* Start reading the archive on fd and verify its manifest (the first
 * entry). Returns 0 and sets *r, or an exit status (65/74) with the
 * message in err; *r is then NULL. */
int sp_areader_open(int fd, long long max_size, struct sp_areader **r, char *err, size_t errlen);

/* As sp_areader_open with flags (SP_AR_PLAIN). Reading a plain tarball,
 * the manifest is complete only once sp_areader_next returned -1. */
int sp_areader_open_opt(int fd, long long max_size, int flags, struct sp_areader **r, char *err,
    size_t errlen);

/* Read an archive without a manifest entry and verify it as strictly as
 * an sp archive against the manifest text[0..len) given instead. */
int sp_areader_open_given(int fd, long long max_size, const char *text, size_t len,
    struct sp_areader **r, char *err, size_t errlen);

/* The verified manifest (owned by the reader). */
const struct sp_manifest *sp_areader_manifest(struct sp_areader *r);

/* The manifest entry's exact bytes (owned by the reader) and their count. */
const char *sp_areader_manifest_text(struct sp_areader *r, size_t *len);

/* The next entry, checked: a safe UTF-8 name, a regular file, symlink or
 * directory listed in the manifest with equal size and link target,
 * not seen before, not below a listed file or symlink. Data of the
 * previous entry that was not read is read and verified first. Returns 0
 * with *e filled, -1 at the end (every listed file was present and the
 * gzip stream ended cleanly), or an exit status with the message in err. */
int sp_areader_next(struct sp_areader *r, struct sp_aentry *e, char *err, size_t errlen);

/* The next block of the current file's data: returns 0 and sets *p and *n
 * (n 0 at the end of the entry, once its SHA-256 has been checked), or an
 * exit status with the message in err. */
int sp_areader_data(struct sp_areader *r, const void **p, size_t *n, char *err, size_t errlen);

/* Free the reader (fd stays open). */
void sp_areader_free(struct sp_areader *r);

/* ---- the writer ---- */

struct sp_awriter;

/* Start writing a tar.gz on fd (not owned) at gzip level 0-9 with
 * threads compression threads. */
struct sp_awriter *sp_awriter_new(int fd, int level, int threads);

/* Append a regular file: a normalized header (owner 0/0, no names, mode
 * as given, mtime) and exactly size bytes read from src, hashed on the
 * way. Returns 0 and the SHA-256 in hex, or an exit status with the
 * message in err: 65 when src does not hold exactly size bytes, 74 on a
 * read or write error. name is only used in messages. */
int sp_awriter_file(struct sp_awriter *w, const char *path, unsigned mode, long long mtime,
    long long size, int src, const char *name, char *hex, char *err, size_t errlen);

/* Append a symlink entry (mode 0777). 0 or 74 with the message in err. */
int sp_awriter_link(struct sp_awriter *w, const char *path, const char *target, long long mtime,
    char *err, size_t errlen);

/* Append a regular file's header (normalized as above); exactly size
 * bytes must follow through sp_awriter_data. 0 or 74 as above. */
int sp_awriter_stream(struct sp_awriter *w, const char *path, unsigned mode, long long mtime,
    long long size, char *err, size_t errlen);

/* Append n bytes of the file begun by sp_awriter_stream. */
int sp_awriter_data(struct sp_awriter *w, const char *path, const void *p, size_t n, char *err,
    size_t errlen);

/* Append a directory entry (mode 0755). 0 or 74 with the message in err. */
int sp_awriter_dir(struct sp_awriter *w, const char *path, long long mtime, char *err, size_t errlen);

/* Append in-memory contents as a regular file (the manifest). */
int sp_awriter_buf(struct sp_awriter *w, const char *path, unsigned mode, long long mtime,
    const void *p, size_t n, char *err, size_t errlen);

/* Finish the archive; 0 with the archive's SHA-256 and size, or 74 with
 * the message in err. Frees w. */
int sp_awriter_close(struct sp_awriter *w, char *hex, long long *size, char *err, size_t errlen);

/* Free w without finishing (after a failure). */
void sp_awriter_abort(struct sp_awriter *w);

#endif
