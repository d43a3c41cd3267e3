/* atomic.c - atomic file replacement for tools: a temporary file beside
 * the target, fsync'd and renamed into place; removed if the tool dies. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/atomic.h"
#include "core/err.h"
#include "core/fsutil.h"

static void
unlink_tmp(void *arg)
{
	struct sp_atomic *a = arg;

	if (a->fp)
		fclose(a->fp);
	a->fp = NULL;
	if (a->tmp)
		unlinkat(a->dfd, a->tmp, 0);
}

static void
release(struct sp_atomic *a)
{
	sp_sigunlink_pop(a->sighandle);
	sp_cleanup_pop(a->handle);
	if (a->dfd != AT_FDCWD)
		close(a->dfd);
	free(a->tmp);
	free(a->path);
	free(a->shown);
	free(a->sigtmp);
	a->tmp = a->path = a->shown = a->sigtmp = NULL;
}

/* Give fd the mode (before umask) and wrap it; dies 73. */
static FILE *
start(struct sp_atomic *a, int fd, mode_t mode)
{
	mode_t um = umask(0);

	umask(um);
	if (fchmod(fd, mode & ~um) < 0 || !(a->fp = fdopen(fd, "w"))) {
		int e = errno;
		close(fd);
		unlinkat(a->dfd, a->tmp, 0);
		errno = e;
		sp_die_errno(SP_EX_CANTCREAT, "%s: temporary file", a->shown);
	}
	a->handle = sp_cleanup_push(unlink_tmp, a);
	a->sighandle = sp_sigunlink_push(a->sigtmp);
	return a->fp;
}

FILE *
sp_atomic_open(struct sp_atomic *a, const char *path, mode_t mode)
{
	char *dir, *base;
	struct stat st;
	int fd;

	a->dfd = AT_FDCWD;
	a->path = sp_strdup(path);
	a->shown = sp_strdup(path);
	a->direct = 0;
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
		/* a rename would put a file where the device was */
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || !(a->fp = fdopen(fd, "w")))
			sp_die_errno(SP_EX_CANTCREAT, "%s", path);
		a->direct = 1;
		a->tmp = a->sigtmp = NULL;
		a->handle = a->sighandle = -1;
		return a->fp;
	}
	dir = sp_strdup(path);
	base = sp_strdup(path);
	a->tmp = sp_asprintf("%s/.%s.sp-tmp.XXXXXX", dirname(dir), basename(base));
	free(dir);
	free(base);
	fd = mkostemp(a->tmp, O_CLOEXEC);
	if (fd < 0)
		sp_die_errno(SP_EX_CANTCREAT, "%s: cannot create temporary file", path);
	a->sigtmp = sp_strdup(a->tmp);
	return start(a, fd, mode);
}

FILE *
sp_atomic_openat(struct sp_atomic *a, int dirfd, const char *name, const char *shown, mode_t mode)
{
	char *dir = sp_strdup(shown);
	unsigned char r[6];
	int fd = -1;

	a->dfd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
	if (a->dfd < 0)
		sp_die_errno(SP_EX_CANTCREAT, "%s", shown);
	a->path = sp_strdup(name);
	a->shown = sp_strdup(shown);
	a->tmp = NULL;
	for (int tries = 0; fd < 0 && tries < 100; tries++) {
		free(a->tmp);
		if (getentropy(r, sizeof r) != 0)
			sp_die_errno(SP_EX_SOFTWARE, "getentropy");
		a->tmp = sp_asprintf(".%s.sp-tmp.%02x%02x%02x%02x%02x%02x", name, r[0], r[1], r[2],
		    r[3], r[4], r[5]);
		fd = openat(a->dfd, a->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	if (fd < 0)
		sp_die_errno(SP_EX_CANTCREAT, "%s: cannot create temporary file", shown);
	a->sigtmp = sp_asprintf("%s/%s", dirname(dir), a->tmp);
	free(dir);
	return start(a, fd, mode);
}

void
sp_atomic_commit(struct sp_atomic *a)
{
	FILE *fp = a->fp;

	if (fflush(fp) != 0 || ferror(fp))
		sp_die_errno(SP_EX_IOERR, "%s: write error", a->shown);
	if (a->direct) {
		a->fp = NULL;
		if (fclose(fp) != 0)
			sp_die_errno(SP_EX_IOERR, "%s: close", a->shown);
		free(a->path);
		free(a->shown);
		a->path = a->shown = NULL;
		return;
	}
	if (fsync(fileno(fp)) != 0)
		sp_die_errno(SP_EX_IOERR, "%s: fsync", a->shown);
	a->fp = NULL;
	if (fclose(fp) != 0)
		sp_die_errno(SP_EX_IOERR, "%s: close", a->shown);
	if (renameat(a->dfd, a->tmp, a->dfd, a->path) != 0)
		sp_die_errno(SP_EX_IOERR, "%s: rename", a->shown);
	free(a->tmp);
	a->tmp = NULL;	/* nothing left to remove */
	if (a->dfd == AT_FDCWD)
		sp_fsync_parent(a->path);
	else
		fsync(a->dfd);
	release(a);
}

void
sp_atomic_abort(struct sp_atomic *a)
{
	if (a->direct) {
		if (a->fp)
			fclose(a->fp);
		a->fp = NULL;
		free(a->path);
		free(a->shown);
		a->path = a->shown = NULL;
		return;
	}
	unlink_tmp(a);
	release(a);
}
