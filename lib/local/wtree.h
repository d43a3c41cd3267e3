/* wtree.h - writing files below one directory for sp-write: nothing below
 * it is reached through a symlink (every component opened O_NOFOLLOW, as
 * rsync does since its link CVEs), files staged and renamed into place.
 * Tool code: these die on failure (73 for what is in the way). */
#ifndef SP_WTREE_H
#define SP_WTREE_H

#include <stddef.h>
#include <sys/types.h>

#include "core/atomic.h"

struct sp_wtree {
	const char *dir;	/* as given, for messages */
	int rootfd;		/* -1: missing (a dry run of -p) */
	int dry;		/* stage and report, write nothing */
};

/* A file to write, staged by sp_wfile_stage, renamed by sp_wfile_commit. */
struct sp_wfile {
	const char *rel, *bytes;
	size_t n;
	mode_t mode;		/* kept from the file it replaces, else 0644 */
	int exists, todo;	/* todo: its bytes differ from what is there */
	struct sp_atomic a;
};

/* Open dir; a missing one dies 66, or is made when parents (not in a dry
 * run). */
void sp_wtree_open(struct sp_wtree *t, const char *dir, int parents, int dry);

/* Close what sp_wtree_open opened. */
void sp_wtree_close(struct sp_wtree *t);

/* The directory of rel (before its last "/"), made when create, with
 * *base set to the last component; -1 when it is missing. Dies 73 when a
 * symlink or a file is on the way. */
int sp_wtree_dir(struct sp_wtree *t, const char *rel, int create, const char **base);

/* Check rel and, unless it already holds bytes[0..n), write them to a
 * temporary file beside it (f->todo set). Dies 73 when rel is not a
 * regular file. Nothing is visible until sp_wfile_commit. */
void sp_wfile_stage(struct sp_wtree *t, struct sp_wfile *f, const char *rel, const char *bytes,
    size_t n);

/* Rename a staged file into place (fsync'd); no-op unless f->todo. */
void sp_wfile_commit(struct sp_wtree *t, struct sp_wfile *f);

/* Remove rel, then the directories this leaves empty up to keep levels
 * from the top (1: not the first level). Returns 1 when rel was there. */
int sp_wtree_unlink(struct sp_wtree *t, const char *rel, int keep);

#endif
