/* wtree.c - writing files below one directory without following symlinks. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "core/fsutil.h"
#include "core/path.h"
#include "core/textfile.h"
#include "local/wtree.h"

void
sp_wtree_open(struct sp_wtree *t, const char *dir, int parents, int dry)
{
	t->dir = dir;
	t->dry = dry;
	if (!dry && parents && sp_mkdirs(dir, 0755) != 0)
		sp_die_errno(SP_EX_CANTCREAT, "%s", dir);
	t->rootfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (t->rootfd < 0 && !(errno == ENOENT && parents))
		sp_die(sp_ex_for_errno(errno), "%s: %s%s", dir, strerror(errno),
		    errno == ENOENT ? " (-p creates it)" : "");
}

void
sp_wtree_close(struct sp_wtree *t)
{
	if (t->rootfd >= 0)
		close(t->rootfd);
	t->rootfd = -1;
}

int
sp_wtree_dir(struct sp_wtree *t, const char *rel, int create, const char **base)
{
	const char *slash = strrchr(rel, '/');
	char *d = slash ? strndup(rel, (size_t)(slash - rel)) : sp_strdup("");
	int fd = t->rootfd < 0 ? (errno = ENOENT, -1) : sp_dir_beneath(t->rootfd, d, create, 0755);

	*base = slash ? slash + 1 : rel;
	if (fd < 0 && (errno != ENOENT || create)) {
		if (errno == ELOOP || errno == ENOTDIR || errno == EXDEV)
			sp_die(SP_EX_CANTCREAT, "%s/%s: %s on the way; refusing to write through it",
			    t->dir, rel, errno == ELOOP ? "a symlink" : errno == ENOTDIR ?
			    "a file that is not a directory" : "an unsafe path");
		sp_die_errno(SP_EX_CANTCREAT, "%s/%s", t->dir, d);
	}
	free(d);
	return fd;
}

void
sp_wfile_stage(struct sp_wtree *t, struct sp_wfile *f, const char *rel, const char *bytes, size_t n)
{
	char *full = sp_path_join(t->dir, rel), *cur;
	const char *base;
	struct stat st;
	size_t curlen;
	int dfd = sp_wtree_dir(t, rel, !t->dry, &base);
	FILE *fp;

	*f = (struct sp_wfile){.rel = rel, .bytes = bytes, .n = n, .mode = 0644};
	f->exists = dfd >= 0 && fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0;
	if (f->exists && !S_ISREG(st.st_mode))
		sp_die(SP_EX_CANTCREAT, "%s: exists and is not a regular file", full);
	if (f->exists) {
		f->mode = st.st_mode & 07777;
		if (sp_text_read_at(dfd, base, &cur, &curlen) == 0) {
			int same = curlen == n && !memcmp(cur, bytes, n);
			free(cur);
			if (same)
				goto out;
		}
	}
	f->todo = 1;
	if (!t->dry) {
		fp = sp_atomic_openat(&f->a, dfd, base, full, f->mode);
		if (n && fwrite(bytes, 1, n, fp) != n)
			sp_die_errno(SP_EX_IOERR, "%s: write error", full);
	}
out:
	if (dfd >= 0)
		close(dfd);
	free(full);
}

void
sp_wfile_commit(struct sp_wtree *t, struct sp_wfile *f)
{
	if (f->todo && !t->dry)
		sp_atomic_commit(&f->a);
}

int
sp_wtree_unlink(struct sp_wtree *t, const char *rel, int keep)
{
	const char *base;
	struct stat st;
	int dfd = sp_wtree_dir(t, rel, 0, &base);
	char *d;

	if (dfd < 0 || fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) != 0) {
		if (dfd >= 0)
			close(dfd);
		return 0;
	}
	if (t->dry) {
		close(dfd);
		return 1;
	}
	if (unlinkat(dfd, base, 0) != 0)
		sp_die_errno(SP_EX_IOERR, "%s/%s", t->dir, rel);
	fsync(dfd);
	close(dfd);
	d = sp_strdup(rel);
	for (char *s = strrchr(d, '/'); s && (!keep || s != strchr(d, '/')); s = strrchr(d, '/')) {
		const char *name;
		int pfd;

		*s = '\0';
		if ((pfd = sp_wtree_dir(t, d, 0, &name)) < 0)
			break;
		if (unlinkat(pfd, name, AT_REMOVEDIR) != 0) {
			close(pfd);
			break;
		}
		close(pfd);
	}
	free(d);
	return 1;
}
