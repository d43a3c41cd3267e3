/* statcache.c - sp-manifest's stat cache, an NDJSON file sorted by path. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "fsutil.h"
#include "ndjson.h"
#include "path.h"
#include "statcache.h"

struct sp_statcache {
	FILE *old;
	char *name;
	unsigned long line;
	char *buf;
	size_t cap;
	char *cur;		/* path of the entry read ahead, NULL at its end */
	struct sp_centry ce;
	char *last;		/* previous lookup, to notice unsorted input */
	int disabled;
	struct sp_atomic out;
	long long now_ns;
};

static long long
ts_ns(const struct timespec *t)
{
	return (long long)t->tv_sec * 1000000000LL + t->tv_nsec;
}

/* Read the next entry into c->cur/c->ce; at the end or on a bad line,
 * c->cur is NULL (a bad line abandons the old cache with a warning). */
static void
advance(struct sp_statcache *c)
{
	const char *why = NULL;
	char msg[256];
	json_t *o;
	ssize_t n;

	free(c->cur);
	c->cur = NULL;
	if (!c->old)
		return;
	n = getline(&c->buf, &c->cap, c->old);
	if (n <= 0)
		return;
	c->line++;
	o = sp_record_parse(c->buf, (size_t)n, msg, sizeof msg);
	if (!o) {
		why = msg;
	} else {
		const char *h = json_string_value(json_object_get(o, "sha256"));
		c->cur = sp_record_path(o, &why);
		c->ce.size = json_integer_value(json_object_get(o, "size"));
		c->ce.mtime_ns = json_integer_value(json_object_get(o, "mtime_ns"));
		c->ce.ctime_ns = json_integer_value(json_object_get(o, "ctime_ns"));
		c->ce.ino = (unsigned long long)json_integer_value(json_object_get(o, "ino"));
		if (c->cur && (!h || !sp_is_sha256(h)))
			why = "bad sha256";
		else if (c->cur)
			memcpy(c->ce.sha256, h, SP_HEXLEN);
		json_decref(o);
	}
	if (why) {
		sp_warn("%s:%lu: ignoring the stat cache: %s", c->name, c->line, why);
		free(c->cur);
		c->cur = NULL;
		fclose(c->old);
		c->old = NULL;
	}
}

struct sp_statcache *
sp_statcache_open(const char *path)
{
	struct sp_statcache *c = sp_calloc(1, sizeof *c);
	struct timespec now;

	c->name = sp_strdup(path);
	c->old = fopen(path, "r");
	sp_atomic_open(&c->out, path, 0644);
	clock_gettime(CLOCK_REALTIME, &now);
	c->now_ns = ts_ns(&now);
	advance(c);
	return c;
}

int
sp_statcache_find(struct sp_statcache *c, const char *path, struct sp_centry *e)
{
	if (c->disabled)
		return 0;
	if (c->last && strcmp(path, c->last) <= 0) {
		c->disabled = 1;
		return 0;
	}
	free(c->last);
	c->last = sp_strdup(path);
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
sp_statcache_add(struct sp_statcache *c, const char *path, const struct stat *st, const char *hex)
{
	long long m = ts_ns(&st->st_mtim), ch = ts_ns(&st->st_ctim);
	json_t *o;

	if (c->now_ns - (m > ch ? m : ch) < 1000000000LL)
		return;
	o = json_object();
	json_object_set_new(o, "type", json_string("stat"));
	sp_record_set_path(o, path);
	json_object_set_new(o, "size", json_integer((json_int_t)st->st_size));
	json_object_set_new(o, "mtime_ns", json_integer(m));
	json_object_set_new(o, "ctime_ns", json_integer(ch));
	json_object_set_new(o, "ino", json_integer((json_int_t)st->st_ino));
	json_object_set_new(o, "sha256", json_string(hex));
	sp_write_record(c->out.fp, o);
	json_decref(o);
}

void
sp_statcache_commit(struct sp_statcache *c)
{
	sp_atomic_commit(&c->out);
	if (c->old)
		fclose(c->old);
	free(c->cur);
	free(c->last);
	free(c->buf);
	free(c->name);
	free(c);
}
