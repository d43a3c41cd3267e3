/* read.c - parallel NDJSON input for an import. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/pmap.h"
#include "pg/read.h"
#include "rec/ndjson.h"

#define BATCH_BYTES (1 << 18)
#define BATCH_LINES 2048

struct meta {
	size_t off, len;
	int table, del;
	unsigned int mask;
};

struct batch {
	char *data;		/* the lines, each ending in '\n' (the last maybe not) */
	size_t len, cap;
	unsigned long line0;	/* number of the first line */
	struct sp_dbtuple tu;
	struct meta *m;
	size_t nm, capm;
	long long skipped;
	unsigned long errline;
	int errcode;
	char errmsg[1024];
};

struct ctx {
	struct sp_dbimport *im;
	FILE *fp;
	const char *name;
	sp_dbread_map_fn map;
	void *arg;
	unsigned long line;
	char *lbuf;
	size_t lcap;
	int failed, code;
	long long skipped;
	char *err;
	size_t errlen;
};

static void
batch_free(struct batch *b)
{
	free(b->data);
	free(b->m);
	sp_strbuf_free(&b->tu.buf);
	free(b);
}

static void *
produce(void *vx)
{
	struct ctx *x = vx;
	struct batch *b;
	ssize_t n;
	int lines = 0;

	if (x->failed)
		return NULL;
	b = sp_calloc(1, sizeof *b);
	b->line0 = x->line + 1;
	while (b->len < BATCH_BYTES && lines < BATCH_LINES) {
		errno = 0;
		n = sp_getline_max(&x->lbuf, &x->lcap, x->fp, SP_RECORD_MAX);
		if (n == -2) {
			snprintf(x->err, x->errlen, "%s:%lu: a record over %d MiB", x->name,
			    x->line + 1, (int)(SP_RECORD_MAX >> 20));
			x->code = SP_EX_DATAERR;
			x->failed = 1;
			batch_free(b);
			return NULL;
		}
		if (n < 0) {
			if (ferror(x->fp)) {
				snprintf(x->err, x->errlen, "%s: read error: %s", x->name, strerror(errno));
				x->code = SP_EX_IOERR;
				x->failed = 1;
				batch_free(b);
				return NULL;
			}
			break;
		}
		if (b->len + (size_t)n + 1 > b->cap) {
			b->cap = (b->len + (size_t)n + 1) * 2;
			b->data = sp_realloc(b->data, b->cap);
		}
		memcpy(b->data + b->len, x->lbuf, (size_t)n);
		b->len += (size_t)n;
		if (x->lbuf[n - 1] != '\n')
			b->data[b->len++] = '\n';
		x->line++;
		lines++;
	}
	if (!lines) {
		batch_free(b);
		return NULL;
	}
	return b;
}

static void
work(void *vb, void *vx, void *tls)
{
	struct batch *b = vb;
	struct ctx *x = vx;
	char *p = b->data, *end = b->data + b->len;
	unsigned long line = b->line0;
	json_t *rec, *row;
	int del, rc;

	(void)tls;
	for (; p < end; p = memchr(p, '\n', (size_t)(end - p)) + 1, line++) {
		size_t n = (size_t)((char *)memchr(p, '\n', (size_t)(end - p)) - p);

		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (n == 0)
			continue;
		if (!(rec = sp_record_parse(p, n, b->errmsg, sizeof b->errmsg))) {
			b->errcode = SP_EX_DATAERR;
			break;
		}
		row = NULL;
		del = 0;
		rc = x->map(x->arg, rec, &row, &del, b->errmsg, sizeof b->errmsg);
		if (rc < 0) {
			json_decref(rec);
			b->errcode = SP_EX_DATAERR;
			break;
		}
		if (rc == 0 || rc == 2) {
			b->skipped += rc == 0;
			json_decref(rec);
			continue;
		}
		rc = sp_dbimport_encode(row, del, &b->tu, b->errmsg, sizeof b->errmsg);
		json_decref(rec);
		if (rc) {
			b->errcode = rc;
			break;
		}
		if (b->nm == b->capm) {
			b->capm = b->capm ? b->capm * 2 : 256;
			b->m = realloc(b->m, b->capm * sizeof *b->m);
			if (!b->m) {
				snprintf(b->errmsg, sizeof b->errmsg, "out of memory");
				b->errcode = SP_EX_SOFTWARE;
				break;
			}
		}
		b->m[b->nm++] = (struct meta){b->tu.off, b->tu.len, b->tu.table, b->tu.del, b->tu.mask};
	}
	if (b->errcode)
		b->errline = line;
}

static void
consume(void *vb, void *vx)
{
	struct batch *b = vb;
	struct ctx *x = vx;
	struct sp_dbtuple t;
	size_t i;

	for (i = 0; i < b->nm && !x->failed; i++) {
		t = b->tu;
		t.off = b->m[i].off;
		t.len = b->m[i].len;
		t.table = b->m[i].table;
		t.del = b->m[i].del;
		t.mask = b->m[i].mask;
		if ((x->code = sp_dbimport_put(x->im, &t, x->err, x->errlen)))
			x->failed = 1;
	}
	if (!x->failed && b->errcode) {
		snprintf(x->err, x->errlen, "%s:%lu: %s", x->name, b->errline, b->errmsg);
		x->code = b->errcode;
		x->failed = 1;
	}
	if (!x->failed)
		x->skipped += b->skipped;
	batch_free(b);
}

int
sp_dbread_ndjson(struct sp_dbimport *im, FILE *fp, const char *name, int threads,
    sp_dbread_map_fn map, void *arg, long long *skipped, char *err, size_t errlen)
{
	static const struct sp_pmap_ops ops = {produce, work, consume, NULL, NULL};
	struct ctx x = {.im = im, .fp = fp, .name = name, .map = map, .arg = arg, .err = err, .errlen = errlen};

	sp_pmap_run(&ops, &x, threads, 2 * (size_t)threads + 2);
	free(x.lbuf);
	if (x.failed)
		return x.code;
	*skipped += x.skipped;
	return 0;
}
