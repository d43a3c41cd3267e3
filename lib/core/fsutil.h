/* fsutil.h - directory helpers and safe opens; none of them dies. */
#ifndef SP_FSUTIL_H
#define SP_FSUTIL_H

#include <stdio.h>
#include <sys/types.h>

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

/* The directory rel below dirfd ("" for dirfd itself), opened without
 * following any symlink on the way; with create, missing components are
 * made with mode. Returns a new fd, or -1 with errno set: ELOOP when a
 * component is a symlink, ENOTDIR when it is not a directory, EXDEV for
 * "..", "." or an absolute rel. */
int sp_dir_beneath(int dirfd, const char *rel, int create, mode_t mode);

#endif
