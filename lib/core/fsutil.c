/* fsutil.c - directory helpers and safe opens (never die: safe in the server). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/openat2.h>

#include "core/err.h"
#include "core/fsutil.h"

int
sp_fsync_parent(const char *path)
{
	char *d = sp_strdup(path);
	int fd, r;

	fd = open(dirname(d), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(d);
	if (fd < 0)
		return -1;
	r = fsync(fd);
	close(fd);
	return r;
}

int
sp_mkdirs(const char *dir, mode_t mode)
{
	char *p = sp_strdup(dir), *s;
	struct stat st;

	for (s = p + 1;; s++) {
		if (*s == '/' || *s == '\0') {
			char c = *s;
			*s = '\0';
			if (mkdir(p, mode) != 0 && errno != EEXIST) {
				free(p);
				return -1;
			}
			*s = c;
			if (!c)
				break;
		}
	}
	free(p);
	if (stat(dir, &st) != 0)
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	return 0;
}

int
sp_write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n > 0) {
		ssize_t w = write(fd, c, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Remove name below dfd and everything in it, never leaving the file
 * system dev (another one mounted inside stays, and the removal fails);
 * dev 0: the one name is on. */
static int
rmat(int dfd, const char *name, dev_t dev)
{
	struct dirent *e;
	struct stat sb;
	DIR *d;
	int fd, r = 0;

	if (unlinkat(dfd, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return -1;
	if (fstatat(dfd, name, &sb, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(sb.st_mode))
		return -1;
	if (!dev)
		dev = sb.st_dev;
	if (sb.st_dev != dev) {
		errno = EXDEV;
		return -1;
	}
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == EACCES && fchmodat(dfd, name, S_IRWXU, 0) == 0)
		fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &sb) != 0 || sb.st_dev != dev) {
		close(fd);
		errno = EXDEV;
		return -1;
	}
	fchmod(fd, S_IRWXU);	/* a read-only directory is emptied all the same */
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -1;
	}
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && rmat(fd, e->d_name, dev) != 0)
			r = -1;
	closedir(d);
	if (unlinkat(dfd, name, AT_REMOVEDIR) != 0 && errno != ENOENT)
		r = -1;
	return r;
}

int
sp_rmtree(const char *path)
{
	return rmat(AT_FDCWD, path, 0);
}

int
sp_open_beneath(int dirfd, const char *rel, int flags)
{
	struct open_how how = {
		.flags = (unsigned long long)(flags | O_CLOEXEC | (flags & O_PATH ? 0 : O_NOCTTY)),
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	static int no_openat2;
	char *p, *s, *c;
	int fd, dfd;

	if (!no_openat2) {
		fd = (int)syscall(SYS_openat2, dirfd, rel, &how, sizeof how);
		if (fd >= 0 || (errno != ENOSYS && errno != EPERM))
			return fd;
		no_openat2 = 1;	/* old kernel or seccomp: walk by hand */
	}
	if (*rel == '/') {
		errno = EXDEV;
		return -1;
	}
	p = sp_strdup(rel);
	dfd = dirfd;
	for (s = p; (c = strchr(s, '/')); s = c + 1) {
		*c = '\0';
		if (!strcmp(s, "..")) {
			errno = EXDEV;
			fd = -1;
			goto out;
		}
		fd = openat(dfd, s, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (dfd != dirfd) {
			int e = errno;
			close(dfd);
			errno = e;
		}
		dfd = dirfd;
		if (fd < 0)
			goto out;
		dfd = fd;
	}
	fd = strcmp(s, "..") ? openat(dfd, s, flags | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY) : (errno = EXDEV, -1);
out:
	if (dfd != dirfd) {
		int e = errno;
		close(dfd);
		errno = e;
	}
	free(p);
	return fd;
}

int
sp_dir_beneath(int dirfd, const char *rel, int create, mode_t mode)
{
	char *p = sp_strdup(rel), *s, *c;
	int dfd = dirfd, fd, e;

	for (s = p; s; s = c) {
		if ((c = strchr(s, '/')))
			*c++ = '\0';
		if (!*s && s == p && c) {	/* absolute */
			fd = -1, errno = EXDEV;
		} else if (!*s) {
			continue;
		} else if (!strcmp(s, "..") || !strcmp(s, ".")) {
			fd = -1, errno = EXDEV;
		} else {
			fd = openat(dfd, s, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (fd < 0 && errno == ENOENT && create &&
			    (mkdirat(dfd, s, mode) == 0 || errno == EEXIST))
				fd = openat(dfd, s, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (fd < 0 && errno == ENOTDIR) {	/* a symlink, or a file */
				struct stat st;
				if (fstatat(dfd, s, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
					errno = ELOOP;
			}
		}
		e = errno;
		if (dfd != dirfd)
			close(dfd);
		if (fd < 0) {
			free(p);
			errno = e;
			return -1;
		}
		dfd = fd;
	}
	free(p);
	return dfd == dirfd ? fcntl(dirfd, F_DUPFD_CLOEXEC, 0) : dfd;
}
