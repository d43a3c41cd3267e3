/* fsutil.h - atomic file replacement and directory helpers. */
#ifndef SP_FSUTIL_H
#define SP_FSUTIL_H

#include <stdio.h>
#include <sys/types.h>

struct sp_atomic {
	char *path;	/* final name */
	char *tmp;	/* temporary name beside it, same directory */
	FILE *fp;
	int handle;	/* cleanup handle: the temp file goes if we die */
	int sighandle;	/* ... or are ended by a signal */
};

/* Create a temporary file beside path, opened for writing with mode
 * (before umask); it is removed if the program dies before commit. Dies
 * 73 when it cannot be created. */
FILE *sp_atomic_open(struct sp_atomic *a, const char *path, mode_t mode);

/* Flush, fsync and close the temporary file, rename it over path and
 * fsync the directory; dies 74 (removing the temp file) on failure. */
void sp_atomic_commit(struct sp_atomic *a);

/* Close and remove the temporary file; path is untouched. */
void sp_atomic_abort(struct sp_atomic *a);

/* fsync the directory containing path (or path itself if a directory);
 * returns 0 or -1 with errno set. */
int sp_fsync_parent(const char *path);

/* mkdir -p: create dir and missing parents with mode; 0 or -1/errno. */
int sp_mkdirs(const char *dir, mode_t mode);

/* Write all n bytes to fd, retrying on EINTR; 0 or -1/errno. */
int sp_write_all(int fd, const void *p, size_t n);

/* Remove path recursively (like rm -rf, never following symlinks);
 * 0 or -1/errno. */
int sp_rmtree(const char *path);

/* Open rel below the directory dirfd without following any symlink on
 * the way (openat2 RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS, or a walk with
 * O_NOFOLLOW where the kernel lacks it). flags as for open(2). Returns
 * the fd or -1 with errno set (ELOOP for a symlink, EXDEV for escapes). */
int sp_open_beneath(int dirfd, const char *rel, int flags);

#endif
