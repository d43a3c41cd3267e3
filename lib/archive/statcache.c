/* statcache.c - sp-manifest's stat cache, a text file sorted by path.
 *
 * Format: a first line "sp-statcache 1", then one line per file:
 *   SHA256 SIZE MTIME_NS CTIME_NS INO PATH
 * separated by single spaces, PATH last with "\\" written "\\\\" and a
 * newline written "\\n", so any name fits on one line. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "archive/statcache.h"
#include "core/atomic.h"
#include "core/err.h"
#include "core/fsutil.h"

#define MAGIC "sp-statcache 1\n"

struct sp_statcache {
	FILE *old;
	char *name;
	unsigned long line;
	char *buf;
	size_t cap;
	char *cur;		/* path of the entry read ahead (pathbuf), NULL at its end */
	char *pathbuf;
	size_t pathcap;
	struct sp_centry ce;
	char *last;		/* previous lookup, to notice unsorted input */
	size_t lastcap;
	int disabled;
	int dirty;		/* the new cache differs from the old one */
	unsigned long nold, nnew;
	struct sp_atomic out;
	long long now_ns;
};

static long long
ts_ns(const struct timespec *t)
{
	return (long long)t->tv_sec * 1000000000LL + t->tv_nsec;
}

/* Copy s into *dst (growing it), undoing the path escapes; 0 or -1. */
static int
unescape(char **dst, size_t *cap, const char *s, size_t n)
{
	size_t i, o = 0;

	if (*cap < n + 1)
		*dst = sp_realloc(*dst, *cap = n + 1);
	for (i = 0; i < n; i++) {
		char c = s[i];
		if (c == '\\') {
			if (++i == n)
				return -1;
			c = s[i] == 'n' ? '\n' : s[i] == '\\' ? '\\' : 0;
			if (!c)
				return -1;
		}
		(*dst)[o++] = c;
	}
	(*dst)[o] = '\0';
	return 0;
}

static void
abandon(struct sp_statcache *c, const char *why)
{
	sp_warn("%s:%lu: ignoring the stat cache: %s", c->name, c->line, why);
	fclose(c->old);
	c->old = NULL;
	c->cur = NULL;
	c->dirty = 1;
}

/* Read the next entry into c->cur/c->ce; NULL cur at the end. */
static void
advance(struct sp_statcache *c)
{
	char *p, *end;
	ssize_t n;

	c->cur = NULL;
	if (!c->old)
		return;
	n = getline(&c->buf, &c->cap, c->old);
	if (n <= 0)
		return;
	c->line++;
	if (c->buf[n - 1] != '\n')
		return abandon(c, "truncated line");
	c->buf[--n] = '\0';
	p = c->buf;
	if (n < 65 || p[64] != ' ')
		return abandon(c, "malformed line");
	memcpy(c->ce.sha256, p, 64);
	c->ce.sha256[64] = '\0';
	p += 65;
	errno = 0;
	c->ce.size = strtoll(p, &end, 10);
	if (*end != ' ')
		return abandon(c, "malformed line");
	c->ce.mtime_ns = strtoll(end + 1, &end, 10);
	if (*end != ' ')
		return abandon(c, "malformed line");
	c->ce.ctime_ns = strtoll(end + 1, &end, 10);
	if (*end != ' ')
		return abandon(c, "malformed line");
	c->ce.ino = strtoull(end + 1, &end, 10);
	if (*end != ' ' || errno || !sp_is_sha256(c->ce.sha256))
		return abandon(c, "malformed line");
	if (unescape(&c->pathbuf, &c->pathcap, end + 1, (size_t)(c->buf + n - end - 1)) != 0 ||
	    !*c->pathbuf)
		return abandon(c, "malformed path");
	c->cur = c->pathbuf;
	c->nold++;
}

struct sp_statcache *
sp_statcache_open(const char *path)
{
	struct sp_statcache *c = sp_calloc(1, sizeof *c);
	struct timespec now;

	c->name = sp_strdup(path);
	c->old = fopen(path, "r");
	if (c->old) {
		char head[sizeof MAGIC];
		c->line = 1;
		if (!fgets(head, sizeof head, c->old) || strcmp(head, MAGIC))
			abandon(c, "not an sp stat cache");
	} else {
		c->dirty = 1;
	}
	sp_atomic_open(&c->out, path, 0644);
	fputs(MAGIC, c->out.fp);
	clock_gettime(CLOCK_REALTIME, &now);
	c->now_ns = ts_ns(&now);
	advance(c);
	return c;
}

int
sp_statcache_find(struct sp_statcache *c, const char *path, struct sp_centry *e)
{
	size_t n = strlen(path);

	if (c->disabled)
		return 0;
	if (c->last && strcmp(path, c->last) <= 0) {
		c->disabled = 1;
		c->dirty = 1;
		return 0;
	}
	if (c->lastcap < n + 1)
		c->last = sp_realloc(c->last, c->lastcap = n + 1);
	memcpy(c->last, path, n + 1);
	while (c->cur && strcmp(c->cur, path) < 0)
		advance(c);
	if (c->cur && !strcmp(c->cur, path)) {
		*e = c->ce;
		return 1;
	}
	return 0;
}

int
sp_statcache_fresh(const struct sp_centry *e, const struct stat *st)
{
	return e->size == (long long)st->st_size && e->mtime_ns == ts_ns(&st->st_mtim) &&
	    e->ctime_ns == ts_ns(&st->st_ctim) && e->ino == (unsigned long long)st->st_ino;
}

void
sp_statcache_add(struct sp_statcache *c, const char *path, const struct stat *st,
    const char *hex, int hit)
{
	long long m = ts_ns(&st->st_mtim), ch = ts_ns(&st->st_ctim);
	const char *s;
	FILE *fp = c->out.fp;

	if (c->now_ns - (m > ch ? m : ch) < 1000000000LL) {
		c->dirty |= hit;
		return;
	}
	if (!hit)
		c->dirty = 1;
	c->nnew++;
	fprintf(fp, "%s %lld %lld %lld %llu ", hex, (long long)st->st_size, m, ch,
	    (unsigned long long)st->st_ino);
	for (s = path; *s; s++) {
		if (*s == '\\')
			fputs("\\\\", fp);
		else if (*s == '\n')
			fputs("\\n", fp);
		else
			putc(*s, fp);
	}
	putc('\n', fp);
}

void
sp_statcache_commit(struct sp_statcache *c)
{
	/* Count the old entries past the last lookup: files no longer listed
	 * make the old cache stale too. */
	while (c->cur)
		advance(c);
	if (c->dirty || c->nnew != c->nold)
		sp_atomic_commit(&c->out);
	else
		sp_atomic_abort(&c->out);	/* unchanged: keep the old file, no fsync */
	if (c->old)
		fclose(c->old);
	free(c->pathbuf);
	free(c->last);
	free(c->buf);
	free(c->name);
	free(c);
}
