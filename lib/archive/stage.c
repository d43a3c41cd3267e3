/* stage.c - build a new tree beside DIR and swap it in atomically. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive/stage.h"
#include "core/err.h"
#include "core/glob.h"
#include "core/hash.h"
#include "core/fsutil.h"
#include "core/path.h"

struct sp_stage {
	char *dir;		/* DIR, resolved */
	char *base;		/* its name in parent */
	char *spath;		/* the staging directory */
	char *sname;		/* its name in parent */
	int pfd, sfd;		/* parent, staging root (locked) */
	int existed, handle;
	mode_t mode;		/* for the new root */
	char *cdir;		/* cached directory below the root, and its fd */
	int cfd;
};

void
sp_fault_point(void)
{
	static long at = -1, n;

	if (at < 0) {
		const char *s = getenv("SP_FAULT_KILL_AT");
		at = s && *s ? atol(s) : 0;
	}
	if (at > 0 && ++n == at)
		raise(SIGKILL);
}

static void
remove_staging(void *arg)
{
	struct sp_stage *st = arg;

	sp_rmtree(st->spath);
}

/* Remove ".BASE.sp-tmp.*" directories of runs that died (nobody holds
 * their lock). */
static void
clean_stale(struct sp_stage *st, const char *parent)
{
	char *prefix = sp_asprintf(".%s.sp-tmp.", st->base);
	int dfd = dup(st->pfd);
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	struct dirent *e;

	if (!d) {
		if (dfd >= 0)
			close(dfd);
		free(prefix);
		return;
	}
	while ((e = readdir(d))) {
		int fd;

		if (strncmp(e->d_name, prefix, strlen(prefix)))
			continue;
		fd = openat(st->pfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
			char *p = sp_asprintf("%s/%s", parent, e->d_name);
			if (sp_rmtree(p) != 0)
				sp_warn_errno("%s: cannot remove a stale staging directory", p);
			free(p);
		}
		close(fd);
	}
	closedir(d);
	free(prefix);
}

struct sp_stage *
sp_stage_new(const char *dir)
{
	struct sp_stage *st = sp_calloc(1, sizeof *st);
	char *parent, *tmp, *s;
	struct stat sb;
	mode_t um;

	if (lstat(dir, &sb) == 0) {
		char *real = realpath(dir, NULL);
		if (!real)
			sp_die_errno(SP_EX_CANTCREAT, "%s", dir);
		if (stat(real, &sb) != 0 || !S_ISDIR(sb.st_mode))
			sp_die(SP_EX_CANTCREAT, "%s: not a directory", dir);
		st->dir = real;
		st->existed = 1;
		st->mode = sb.st_mode & 07777;
	} else if (errno == ENOENT) {
		st->dir = sp_strdup(dir);
		um = umask(0);
		umask(um);
		st->mode = 0777 & ~um;
	} else {
		sp_die_errno(SP_EX_CANTCREAT, "%s", dir);
	}
	tmp = sp_strdup(st->dir);
	while ((s = strrchr(tmp, '/')) && s > tmp && !s[1])
		*s = '\0';	/* trailing slashes */
	st->base = sp_strdup(basename(tmp));
	parent = sp_strdup(dirname(tmp));
	free(tmp);
	if (!strcmp(st->base, "/") || !strcmp(st->base, ".") || !strcmp(st->base, ".."))
		sp_die(SP_EX_CANTCREAT, "%s: cannot replace this directory", dir);
	st->pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (st->pfd < 0)
		sp_die_errno(SP_EX_CANTCREAT, "%s: parent directory", dir);
	clean_stale(st, parent);
	st->spath = sp_asprintf("%s/.%s.sp-tmp.XXXXXX", parent, st->base);
	free(parent);
	if (!mkdtemp(st->spath))
		sp_die_errno(SP_EX_CANTCREAT, "%s: cannot create a staging directory beside it", dir);
	st->handle = sp_cleanup_push(remove_staging, st);
	st->sname = strrchr(st->spath, '/') + 1;
	st->sfd = open(st->spath, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (st->sfd < 0 || flock(st->sfd, LOCK_EX) != 0)
		sp_die_errno(SP_EX_CANTCREAT, "%s", st->spath);
	st->cfd = -1;
	return st;
}

/* The staging directory rel ("" is the root), created with its parents
 * as needed; never follows a symlink. */
static int
dir_open(struct sp_stage *st, const char *rel)
{
	char *p, *s, *c;
	int fd, nfd;

	if (!*rel)
		return st->sfd;
	if (st->cdir && !strcmp(st->cdir, rel))
		return st->cfd;
	if (st->cfd >= 0)
		close(st->cfd);
	free(st->cdir);
	st->cdir = NULL;
	st->cfd = -1;
	p = sp_strdup(rel);
	fd = st->sfd;
	for (s = p;; s = c + 1) {
		if ((c = strchr(s, '/')))
			*c = '\0';
		if (mkdirat(fd, s, 0777) != 0 && errno != EEXIST)
			sp_die_errno(SP_EX_IOERR, "%s/%s: mkdir", st->spath, rel);
		nfd = openat(fd, s, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (nfd < 0)
			sp_die_errno(SP_EX_IOERR, "%s/%s", st->spath, rel);
		if (fd != st->sfd)
			close(fd);
		fd = nfd;
		if (!c)
			break;
	}
	free(p);
	st->cdir = sp_strdup(rel);
	st->cfd = fd;
	return fd;
}

/* Split path into its directory's fd and its last component. */
static int
parent_of(struct sp_stage *st, const char *path, const char **name)
{
	const char *s = strrchr(path, '/');
	char *dir;
	int fd;

	if (!s) {
		*name = path;
		return st->sfd;
	}
	*name = s + 1;
	dir = sp_strdup(path);
	dir[s - path] = '\0';
	fd = dir_open(st, dir);
	free(dir);
	return fd;
}

static int link_refused(int e);

/* Hash fd from its start; with out >= 0 copy it there on the way. 0, or
 * -1 with errno set. */
static int
hash_fd(int fd, int out, char hex[SP_HEXLEN], long long *n)
{
	static char buf[1 << 16];
	sp_sha256 h;
	ssize_t k;

	sp_sha256_init(&h);
	*n = 0;
	while ((k = read(fd, buf, sizeof buf)) > 0) {
		sp_sha256_update(&h, buf, (size_t)k);
		*n += k;
		if (out >= 0 && sp_write_all(out, buf, (size_t)k) != 0)
			return -1;
	}
	sp_sha256_final(&h, hex);
	return k < 0 ? -1 : 0;
}

int
sp_stage_local(struct sp_stage *st, const char *dir, const char *src, const struct sp_mfile *f,
    char *err, size_t errlen)
{
	const char *slash = strrchr(src, '/'), *base = slash ? slash + 1 : src, *name;
	char *pdir = sp_strdup(src), hex[SP_HEXLEN];
	struct stat sb, lb;
	long long n;
	int dfd, pfd, fd, out = -1, linked = 0, rc = 0;

	pdir[slash ? (size_t)(slash - src) : 0] = '\0';
	dfd = open(st ? st->dir : dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	pfd = dfd < 0 ? -1 : sp_dir_beneath(dfd, pdir, 0, 0);
	fd = pfd < 0 ? -1 : openat(pfd, base, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	free(pdir);
	if (fd < 0 || fstat(fd, &sb) != 0) {
		snprintf(err, errlen, "%s/%s: %s (the local copy of %s)", st ? st->dir : dir, src,
		    strerror(errno), f->path);
		rc = SP_EX_DATAERR;
		goto out;
	}
	if (!S_ISREG(sb.st_mode) || sb.st_size != f->size) {
		snprintf(err, errlen, "%s/%s: changed since it was listed (not a file of %lld bytes); "
		    "run again", st ? st->dir : dir, src, f->size);
		rc = SP_EX_DATAERR;
		goto out;
	}
	if (st && (sb.st_mode & 0777) == (f->mode & 0777)) {
		/* the same inode in the new tree: verified below, after the
		 * link, so that what is linked is what was hashed */
		int sdfd = parent_of(st, f->path, &name);

		if (linkat(pfd, base, sdfd, name, 0) == 0)
			linked = 1;
		else if (!link_refused(errno))
			sp_die_errno(SP_EX_IOERR, "%s/%s: link into the staging tree", st->spath, f->path);
		if (linked && (fstatat(sdfd, name, &lb, AT_SYMLINK_NOFOLLOW) != 0 ||
		    lb.st_ino != sb.st_ino || lb.st_dev != sb.st_dev)) {
			snprintf(err, errlen, "%s/%s: replaced while being read; run again", st->dir, src);
			rc = SP_EX_DATAERR;
			goto out;
		}
	}
	if (st && !linked)
		out = sp_stage_file(st, f->path);
	if (hash_fd(fd, out, hex, &n) != 0) {
		if (out >= 0)
			sp_die_errno(SP_EX_IOERR, "%s/%s", st->spath, f->path);
		snprintf(err, errlen, "%s/%s: %s", st ? st->dir : dir, src, strerror(errno));
		rc = SP_EX_IOERR;
		goto out;
	}
	if (n != f->size || strcmp(hex, f->sha256)) {
		snprintf(err, errlen, "%s/%s: changed since it was listed (its SHA-256 is not the "
		    "manifest's for %s); run again", st ? st->dir : dir, src, f->path);
		rc = SP_EX_DATAERR;
		goto out;
	}
	if (out >= 0) {
		sp_stage_file_done(st, out, f->path, f->mode, (long long)sb.st_mtim.tv_sec);
		out = -1;
	} else if (linked) {
		sp_fault_point();
	}
out:
	if (out >= 0)
		close(out);
	if (fd >= 0)
		close(fd);
	if (pfd >= 0)
		close(pfd);
	if (dfd >= 0)
		close(dfd);
	return rc;
}

int
sp_stage_file(struct sp_stage *st, const char *path)
{
	const char *name;
	int dfd = parent_of(st, path, &name);
	int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);

	if (fd < 0)
		sp_die_errno(SP_EX_IOERR, "%s/%s", st->spath, path);
	return fd;
}

void
sp_stage_file_done(struct sp_stage *st, int fd, const char *path, unsigned mode, long long mtime)
{
	struct timespec ts[2] = {{(time_t)mtime, 0}, {(time_t)mtime, 0}};

	futimens(fd, ts);	/* best effort: an odd mtime is no reason to fail */
	if (fchmod(fd, mode & 0777) != 0 || close(fd) != 0)
		sp_die_errno(SP_EX_IOERR, "%s/%s", st->spath, path);
	sp_fault_point();
}

void
sp_stage_symlink(struct sp_stage *st, const char *path, const char *target, long long mtime)
{
	struct timespec ts[2] = {{(time_t)mtime, 0}, {(time_t)mtime, 0}};
	const char *name;
	int dfd = parent_of(st, path, &name);

	if (symlinkat(target, dfd, name) != 0)
		sp_die_errno(SP_EX_IOERR, "%s/%s: symlink", st->spath, path);
	utimensat(dfd, name, ts, AT_SYMLINK_NOFOLLOW);
	sp_fault_point();
}

void
sp_stage_mkdir(struct sp_stage *st, const char *path)
{
	dir_open(st, path);
}

/* ---- keeping local files ---- */

struct kctx {
	const struct sp_manifest *m;
	int del;
	char *const *drop;	/* sorted paths that go even without del */
	size_t ndrop;
	const char *const *scope;	/* globs: del removes only what they match */
	size_t nscope;
	void (*removed)(const char *, int, void *);
	void *arg;
	const char *dir;
};

/* True when some listed path lies below rel. */
static int
has_below(const struct sp_manifest *m, const char *rel)
{
	size_t lo = 0, hi = m->n, len = strlen(rel);

	while (lo < hi) {	/* first path >= rel + "/" */
		size_t mid = (lo + hi) / 2;
		int c = strncmp(m->v[mid].path, rel, len);
		if (c < 0 || (c == 0 && (unsigned char)m->v[mid].path[len] < '/'))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < m->n && !strncmp(m->v[lo].path, rel, len) && m->v[lo].path[len] == '/';
}

static int
namecmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* True when rel is one of the paths to drop. */
static int
dropped(const struct kctx *k, const char *rel)
{
	return k->ndrop && bsearch(&rel, k->drop, k->ndrop, sizeof *k->drop, namecmp);
}

/* True when del may remove rel: no scope, or a glob of it matches. */
static int
deletable(const struct kctx *k, const char *rel)
{
	if (!k->del)
		return 0;
	for (size_t i = 0; i < k->nscope; i++)
		if (sp_glob_match(k->scope[i], rel))
			return 1;
	return k->nscope == 0;
}

/* True for the errors of a hard link that a copy can stand in for: a
 * file of another user under fs.protected_hardlinks, a file system
 * without hard links, a file with too many links. */
static int
link_refused(int e)
{
	return e == EPERM || e == EOPNOTSUPP || e == EMLINK;
}

/* Copy the regular file or symlink name (stat sb) from ofd into nfd with
 * its mode and mtime (owned by whoever runs us); 0, or -1 with errno. */
static int
copy_entry(int ofd, int nfd, const char *name, const struct stat *sb)
{
	struct timespec ts[2] = {sb->st_atim, sb->st_mtim};
	char buf[1 << 16];
	int in, out, r = 0, e;
	ssize_t n;

	if (S_ISLNK(sb->st_mode)) {
		char *t = sp_malloc((size_t)sb->st_size + 1);

		n = readlinkat(ofd, name, t, (size_t)sb->st_size + 1);
		if (n < 0 || n > sb->st_size) {
			free(t);
			if (n >= 0)
				errno = EAGAIN;	/* changed under us */
			return -1;
		}
		t[n] = '\0';
		r = symlinkat(t, nfd, name);
		free(t);
		return r ? -1 : utimensat(nfd, name, ts, AT_SYMLINK_NOFOLLOW) ? -1 : 0;
	}
	if (!S_ISREG(sb->st_mode)) {
		errno = EPERM;
		return -1;
	}
	if ((in = openat(ofd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return -1;
	if ((out = openat(nfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)) < 0) {
		e = errno;
		close(in);
		errno = e;
		return -1;
	}
	while ((n = read(in, buf, sizeof buf)) > 0)
		if (sp_write_all(out, buf, (size_t)n) != 0) {
			r = -1;
			break;
		}
	if (n < 0 || fchmod(out, sb->st_mode & 07777) != 0 || futimens(out, ts) != 0)
		r = -1;
	e = errno;
	close(in);
	if (close(out) != 0)
		r = -1;
	errno = e;
	return r;
}

/* Walk the old directory ofd (path prefix below DIR), mirroring into the
 * staging directory nfd (-1: write nothing). all: every file goes
 * (conflict says why). Takes ownership of ofd. Returns how many files of
 * the drop list went in this subtree. */
static size_t
keep_walk(struct kctx *k, int ofd, int nfd, const char *prefix, int all, int conflict)
{
	DIR *d = fdopendir(ofd);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, i, ndropped = 0;

	if (!d)
		sp_die_errno(SP_EX_IOERR, "%s/%s", k->dir, prefix);
	while ((errno = 0, e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			names = sp_realloc(names, (n + 1) * sizeof *names);
			names[n++] = sp_strdup(e->d_name);
		}
	if (errno)
		sp_die_errno(SP_EX_IOERR, "%s/%s", k->dir, prefix);
	if (n)
		qsort(names, n, sizeof *names, namecmp);
	for (i = 0; i < n; i++) {
		char *rel = sp_asprintf("%s%s", prefix, names[i]);
		struct stat sb;

		if (fstatat(ofd, names[i], &sb, AT_SYMLINK_NOFOLLOW) != 0)
			sp_die_errno(SP_EX_IOERR, "%s/%s", k->dir, rel);
		if (S_ISDIR(sb.st_mode)) {
			int sub_all = all, sub_conflict = conflict, cfd, cnfd = -1, made = 0;
			struct stat pb;

			/* a file system mounted inside DIR cannot move with it: the
			 * old tree's removal would empty it */
			if (fstat(ofd, &pb) != 0 || pb.st_dev != sb.st_dev)
				sp_die(SP_EX_IOERR, "%s/%s: a mount point; DIR must be one file system",
				    k->dir, rel);
			char *sub = sp_asprintf("%s/", rel);

			if (!all && sp_manifest_find(k->m, rel))
				sub_all = sub_conflict = 1;
			else if (!all && k->del && !k->nscope && !has_below(k->m, rel))
				sub_all = 1;	/* (in a scope, file by file below) */
			cfd = openat(ofd, names[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (cfd < 0)
				sp_die_errno(SP_EX_IOERR, "%s/%s", k->dir, rel);
			if (nfd >= 0 && !sub_all) {
				/* writable until its contents are in; its own mode after */
				if (mkdirat(nfd, names[i], 0700) == 0)
					made = 1;
				else if (errno != EEXIST)
					sp_die_errno(SP_EX_IOERR, "%s: mkdir", rel);
				cnfd = openat(nfd, names[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
				if (cnfd < 0)
					sp_die_errno(SP_EX_IOERR, "%s: staging", rel);
			}
			if (keep_walk(k, cfd, cnfd, sub, sub_all, sub_conflict)) {
				ndropped++;
				/* emptied by the drop list: it goes too, unless the
				 * archive made it or something else is in it */
				if (made && unlinkat(nfd, names[i], AT_REMOVEDIR) == 0)
					made = 0;
				else if (made && errno != ENOTEMPTY && errno != EEXIST)
					sp_die_errno(SP_EX_IOERR, "%s: staging", rel);
			}
			if (made && fchmodat(nfd, names[i], sb.st_mode & 07777, 0) != 0)
				sp_die_errno(SP_EX_IOERR, "%s: chmod", rel);
			if (cnfd >= 0)
				close(cnfd);
			free(sub);
		} else if (all) {
			k->removed(rel, conflict, k->arg);
		} else if (sp_manifest_find(k->m, rel)) {
			;	/* replaced by the archive's version */
		} else if (has_below(k->m, rel)) {
			k->removed(rel, 1, k->arg);
		} else if (deletable(k, rel)) {
			k->removed(rel, 0, k->arg);
			ndropped += k->nscope > 0;	/* a directory it empties goes too */
		} else if (dropped(k, rel)) {
			k->removed(rel, 0, k->arg);
			ndropped++;
		} else if (nfd >= 0 && linkat(ofd, names[i], nfd, names[i], 0) != 0) {
			if (errno == EEXIST)
				k->removed(rel, 1, k->arg);	/* a directory entry of the archive is there */
			else if (!link_refused(errno) || copy_entry(ofd, nfd, names[i], &sb) != 0)
				sp_die_errno(SP_EX_IOERR, "%s/%s: cannot keep it (link or copy into the staging tree)", k->dir, rel);
		}
		free(rel);
		free(names[i]);
	}
	free(names);
	closedir(d);
	return ndropped;
}

void
sp_stage_keep(struct sp_stage *st, const char *dir, const struct sp_manifest *m, int del,
    char *const *drop, size_t ndrop, const char *const *scope, size_t nscope,
    void (*removed)(const char *, int, void *), void *arg)
{
	struct kctx k = {m, del, drop, ndrop, scope, nscope, removed, arg, dir};
	int ofd;

	if (st && !st->existed)
		return;
	ofd = open(st ? st->dir : dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (ofd < 0) {
		if (errno == ENOENT && !st)
			return;	/* a dry run into a new directory */
		sp_die_errno(SP_EX_IOERR, "%s", dir);
	}
	if (st && st->cfd >= 0) {
		close(st->cfd);
		free(st->cdir);
		st->cdir = NULL;
		st->cfd = -1;
	}
	keep_walk(&k, ofd, st ? st->sfd : -1, "", 0, 0);
	sp_fault_point();
}

/* Forget the cleanup handler, close and free what st holds. */
static void
stage_free(struct sp_stage *st)
{
	sp_cleanup_pop(st->handle);
	close(st->sfd);
	close(st->pfd);
	free(st->cdir);
	free(st->dir);
	free(st->base);
	free(st->spath);
	free(st);
}

void
sp_stage_commit(struct sp_stage *st, int sync)
{
	if (st->cfd >= 0)
		close(st->cfd);
	st->cfd = -1;
	if (fchmod(st->sfd, st->mode) != 0)
		sp_die_errno(SP_EX_IOERR, "%s", st->spath);
	if (sync && syncfs(st->sfd) != 0)
		sp_die_errno(SP_EX_IOERR, "%s: sync", st->spath);
	sp_fault_point();
	if (renameat2(st->pfd, st->sname, st->pfd, st->base, st->existed ? RENAME_EXCHANGE : RENAME_NOREPLACE) != 0)
		sp_die_errno(SP_EX_IOERR, "%s: cannot switch to the new tree", st->dir);
	fsync(st->pfd);
	sp_fault_point();
	/* the old tree now has the staging name */
	if (st->existed && sp_rmtree(st->spath) != 0)
		sp_warn_errno("%s: cannot remove the old tree", st->spath);
	sp_fault_point();
	stage_free(st);
}

void
sp_stage_abort(struct sp_stage *st)
{
	if (st->cfd >= 0)
		close(st->cfd);
	sp_rmtree(st->spath);
	stage_free(st);
}
