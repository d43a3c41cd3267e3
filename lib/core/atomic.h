/* atomic.h - atomic file replacement for tools (these die on failure). */
#ifndef SP_ATOMIC_H
#define SP_ATOMIC_H

#include <stdio.h>
#include <sys/types.h>

struct sp_atomic {
	int dfd;	/* the directory path and tmp are relative to (AT_FDCWD) */
	char *path;	/* final name */
	char *tmp;	/* temporary name beside it, same directory */
	char *shown;	/* the name for messages (and signal-time removal) */
	char *sigtmp;
	FILE *fp;
	int handle;	/* cleanup handle: the temp file goes if we die */
	int sighandle;	/* ... or are ended by a signal */
	int direct;	/* path is a device or FIFO: written as it is */
};

/* Create a temporary file beside path, opened for writing with mode
 * (before umask); it is removed if the program dies before commit. Dies
 * 73 when it cannot be created. A path that is a device or a FIFO
 * (/dev/null, a named pipe) is opened and written as it is, never
 * replaced. */
FILE *sp_atomic_open(struct sp_atomic *a, const char *path, mode_t mode);

/* As sp_atomic_open for the file name in the directory dirfd (which is
 * dup'd; the caller keeps its own), shown in messages as shown. Nothing
 * is resolved by path: name is one component, and no symlink is
 * followed. */
FILE *sp_atomic_openat(struct sp_atomic *a, int dirfd, const char *name, const char *shown,
    mode_t mode);

/* Flush, fsync and close the temporary file, rename it over path and
 * fsync the directory; dies 74 (removing the temp file) on failure. */
void sp_atomic_commit(struct sp_atomic *a);

/* Close and remove the temporary file; path is untouched. */
void sp_atomic_abort(struct sp_atomic *a);

#endif
