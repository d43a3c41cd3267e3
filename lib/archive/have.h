/* have.h - what a local tree holds, by content: the file records of
 * sp-manifest (path, sha256) as a lookup from hash to path. A delta pull
 * sends the hashes (sp-download files --have) and takes the files the
 * delta leaves out from these paths (sp-unpack --local). */
#ifndef SP_ARCHIVE_HAVE_H
#define SP_ARCHIVE_HAVE_H

#include <stddef.h>

struct sp_have;

/* Read the file records of file ("-": stdin): regular files with a path,
 * a "sha256" and their "mode" (symlinks and records of other types are
 * skipped). Dies
 * 65 naming file and line for a file record with a bad sha256 or an
 * unsafe path, 66 when file is missing. */
struct sp_have *sp_have_read(const char *file);

/* The SHA-256 of the regular file at path, and its mode in *mode; NULL
 * when the records have no such file. */
const char *sp_have_at(const struct sp_have *h, const char *path, unsigned *mode);

/* A path whose content has SHA-256 hex: prefer itself when it does, else
 * any (the first by path); NULL when none. */
const char *sp_have_find(const struct sp_have *h, const char *hex, const char *prefer);

/* The distinct hashes, sorted: how many, and the i-th. */
size_t sp_have_count(const struct sp_have *h);
const char *sp_have_hash(const struct sp_have *h, size_t i);

void sp_have_free(struct sp_have *h);

#endif
