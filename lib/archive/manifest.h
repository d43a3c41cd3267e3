/* manifest.h - the .sp-manifest.json entry of an sp archive and its
 * canonical checksum (sp(7) "ARCHIVES"). No function here calls sp_die. */
#ifndef SP_MANIFEST_H
#define SP_MANIFEST_H

#include <stddef.h>
#include <jansson.h>

#include "core/hash.h"

#define SP_MANIFEST_NAME ".sp-manifest.json"
#define SP_MANIFEST_MAX (16LL << 20)	/* largest manifest entry accepted */

/* One listed file. */
struct sp_mfile {
	char *path;		/* UTF-8, clean, no control characters */
	long long size;		/* bytes; 0 for a symlink */
	unsigned mode;		/* permission bits (at most 0777 used) */
	char sha256[SP_HEXLEN];	/* of the contents, or of the link target */
	char *link;		/* symlink target, NULL for a regular file */
	int seen;		/* set by the archive reader */
	long long mtime;	/* from the tar header, set by the archive reader */
};

/* A parsed and validated manifest. */
struct sp_manifest {
	json_t *doc;		/* its other members, as parsed (the list is v) */
	struct sp_mfile *v;	/* the files, sorted bytewise by path */
	size_t n;
	long long total;	/* sum of the sizes */
	char checksum[SP_HEXLEN];
};

/* Canonical checksum of a file list, built one entry at a time (in list
 * order): SHA-256 over "path TAB size TAB mode TAB sha256 TAB link LF"
 * per entry, link empty for a regular file, mode as 4 octal digits. */
void sp_mchecksum_init(sp_sha256 *h);
void sp_mchecksum_add(sp_sha256 *h, const char *path, long long size, unsigned mode,
    const char *sha256, const char *link);

/* Why a symlink at path with target is unsafe, or NULL: an empty or
 * absolute target, a control character, or a ".." that leaves the tree or
 * comes after an ordinary component (so no chain of links can escape). */
const char *sp_link_unsafe(const char *path, const char *target);

/* "path too long" (4096 bytes or more) or "name too long" (a component
 * over 255 bytes), or NULL: what Linux file systems can hold. */
const char *sp_name_too_long(const char *path);

/* Parse and validate the manifest text buf[0..n): version 1, a "files"
 * array of {path,size,mode,sha256,link?} with clean unique UTF-8 paths
 * without control characters, no path below another listed path, safe
 * link targets, sizes summing to at most max_size, a "timestamp" string
 * and a "checksum" equal to the canonical one. Returns 0 and fills m, or
 * -1 with "ENTRY: reason" in err (m is then empty). */
int sp_manifest_parse(const char *buf, size_t n, long long max_size, struct sp_manifest *m,
    char *err, size_t errlen);

/* The manifest text for v[0..n) in that order (the caller sorts it
 * bytewise by path): compact JSON, version 1, "timestamp" stamp (Unix
 * seconds, as RFC 3339 UTC), the canonical checksum (also copied into
 * checksum). malloc'd, *len bytes; NULL when jansson cannot serialize. */
char *sp_manifest_text(const struct sp_mfile *v, size_t n, long long stamp, size_t *len,
    char checksum[SP_HEXLEN]);

/* The manifest's "timestamp" as Unix seconds (0 when unreadable). */
long long sp_manifest_stamp(const struct sp_manifest *m);

/* The listed file with this path, or NULL. */
struct sp_mfile *sp_manifest_find(const struct sp_manifest *m, const char *path);

/* The longest listed path that is a proper directory prefix of path
 * ("a" for "a/b/c"), or NULL when there is none. */
const struct sp_mfile *sp_manifest_prefix(const struct sp_manifest *m, const char *path);

/* Free what m holds (not m itself); m is left empty. */
void sp_manifest_free(struct sp_manifest *m);

#endif
