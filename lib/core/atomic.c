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
		unlink(a->tmp);
}

FILE *
sp_atomic_open(struct sp_atomic *a, const char *path, mode_t mode)
{
	char *dir = sp_strdup(path), *base = sp_strdup(path);
	int fd;

	a->path = sp_strdup(path);
	a->tmp = sp_asprintf("%s/.%s.sp-tmp.XXXXXX", dirname(dir), basename(base));
	free(dir);
	free(base);
	fd = mkostemp(a->tmp, O_CLOEXEC);
	if (fd < 0)
		sp_die_errno(SP_EX_CANTCREAT, "%s: cannot create temporary file", path);
	mode_t um = umask(0);
	umask(um);
	if (fchmod(fd, mode & ~um) < 0) {
		int e = errno;
		close(fd);
		unlink(a->tmp);
		errno = e;
		sp_die_errno(SP_EX_CANTCREAT, "%s", a->tmp);
	}
	a->fp = fdopen(fd, "w");
	if (!a->fp) {
		close(fd);
		unlink(a->tmp);
		sp_die_errno(SP_EX_CANTCREAT, "%s", a->tmp);
	}
	a->handle = sp_cleanup_push(unlink_tmp, a);
	a->sighandle = sp_sigunlink_push(a->tmp);
	return a->fp;
}

void
sp_atomic_commit(struct sp_atomic *a)
{
	FILE *fp = a->fp;

	if (fflush(fp) != 0 || ferror(fp))
		sp_die_errno(SP_EX_IOERR, "%s: write error", a->path);
	if (fsync(fileno(fp)) != 0)
		sp_die_errno(SP_EX_IOERR, "%s: fsync", a->path);
	a->fp = NULL;
	if (fclose(fp) != 0)
		sp_die_errno(SP_EX_IOERR, "%s: close", a->path);
	if (rename(a->tmp, a->path) != 0)
		sp_die_errno(SP_EX_IOERR, "%s: rename", a->path);
	sp_sigunlink_pop(a->sighandle);
	sp_cleanup_pop(a->handle);
	sp_fsync_parent(a->path);
	free(a->tmp);
	free(a->path);
	a->tmp = a->path = NULL;
}

void
sp_atomic_abort(struct sp_atomic *a)
{
	unlink_tmp(a);
	sp_sigunlink_pop(a->sighandle);
	sp_cleanup_pop(a->handle);
	free(a->tmp);
	free(a->path);
	a->tmp = a->path = NULL;
}
