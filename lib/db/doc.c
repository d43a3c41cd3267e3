/* doc.c - row records <-> the DatabaseExport document, streaming. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/err.h"
#include "core/strbuf.h"
#include "core/tstamp.h"
#include "db/doc.h"
#include "db/tables.h"
#include "db/types.h"

#define MAXT 16
#define CHUNK (1 << 16)
#define MAXELEM (1 << 30)	/* one row of the document: at most 1 GiB */

/* ---------------- writer ---------------- */

struct sp_docw {
	sp_docw_write_fn write;
	void *arg;
	struct sp_strbuf out, tmp;
	int cur;		/* table whose array is open, or -1 */
	int first;		/* no row in the open array yet */
	int started;		/* '{' written */
	int done[2 * MAXT];	/* array written (or open); MAXT + i: deletions of table i */
};

/* The member of deletions of table doc: "delete:DOC". */
#define DEL_PREFIX "delete:"

int
sp_docw_write_file(void *fp, const char *buf, size_t n)
{
	return fwrite(buf, 1, n, fp) == n ? 0 : -1;
}

struct sp_docw *
sp_docw_new(sp_docw_write_fn write, void *arg)
{
	struct sp_docw *w = calloc(1, sizeof *w);

	if (w) {
		w->write = write;
		w->arg = arg;
		w->cur = -1;
	}
	return w;
}

void
sp_docw_free(struct sp_docw *w)
{
	if (!w)
		return;
	sp_strbuf_free(&w->out);
	sp_strbuf_free(&w->tmp);
	free(w);
}

static int
flush_out(struct sp_docw *w, size_t atleast, char *err, size_t errlen)
{
	if (w->out.oom) {
		snprintf(err, errlen, "out of memory");
		return SP_EX_SOFTWARE;
	}
	if (w->out.len < atleast)
		return 0;
	if (w->out.len && w->write(w->arg, w->out.p, w->out.len)) {
		snprintf(err, errlen, "writing the document: %s", strerror(errno));
		return SP_EX_IOERR;
	}
	sp_strbuf_reset(&w->out);
	return 0;
}

/* Close the open array and open member i: the rows of table i, or for
 * MAXT + i its deletions. */
static void
open_table(struct sp_docw *w, int i)
{
	const char *doc = sp_db_tables[i % MAXT].doc;

	if (w->cur >= 0)
		sp_strbuf_putc(&w->out, ']');
	sp_strbuf_putc(&w->out, w->started ? ',' : '{');
	w->started = 1;
	if (i >= MAXT) {
		char key[64];

		snprintf(key, sizeof key, DEL_PREFIX "%s", doc);
		sp_json_quote(&w->out, key, strlen(key));
	} else {
		sp_json_quote(&w->out, doc, strlen(doc));
	}
	sp_strbuf_puts(&w->out, ":[");
	w->cur = i;
	w->first = 1;
	w->done[i] = 1;
}

/* Start the next element of table's rows (or with del its deletions):
 * the member opened when it is another than the open one, a comma when
 * it is not the first. 0, or 65 for an unknown table or a member that
 * comes back after another one started. */
static int
next_element(struct sp_docw *w, const char *table, int del, char *err, size_t errlen)
{
	const struct sp_dbtable *t = sp_db_table(table);
	int i;

	if (!t)
		t = sp_db_doc_table(table);
	if (!t) {
		snprintf(err, errlen, "unknown table \"%.64s\"", table);
		return SP_EX_DATAERR;
	}
	i = sp_db_table_index(t) + (del ? MAXT : 0);
	if (i != w->cur) {
		if (w->done[i]) {
			snprintf(err, errlen, "%s of table %s come after those of another table; the "
			    "document needs each table's %s together (sort the records by table)",
			    del ? "deletions" : "rows", t->name, del ? "deletions" : "rows");
			return SP_EX_DATAERR;
		}
		open_table(w, i);
	}
	if (!w->first)
		sp_strbuf_putc(&w->out, ',');
	w->first = 0;
	return 0;
}

int
sp_docw_row_json(struct sp_docw *w, const char *table, const char *json, size_t n,
    char *err, size_t errlen)
{
	int code = next_element(w, table, 0, err, errlen);

	if (code)
		return code;
	sp_strbuf_add(&w->out, json, n);
	return flush_out(w, CHUNK, err, errlen);
}

int
sp_docw_delete(struct sp_docw *w, const char *table, const char *id, char *err, size_t errlen)
{
	int code = next_element(w, table, 1, err, errlen);

	if (code)
		return code;
	sp_strbuf_puts(&w->out, "{\"id\":");
	sp_json_quote(&w->out, id, strlen(id));
	sp_strbuf_putc(&w->out, '}');
	return flush_out(w, CHUNK, err, errlen);
}

int
sp_docw_row(struct sp_docw *w, json_t *rec, char *err, size_t errlen)
{
	const char *table = json_string_value(json_object_get(rec, "table"));
	json_t *data = json_object_get(rec, "data");

	if (strcmp(json_string_value(json_object_get(rec, "type")) ?
	    json_string_value(json_object_get(rec, "type")) : "", "row") || !table ||
	    !json_is_object(data)) {
		snprintf(err, errlen, "not a row record with a \"table\" and a \"data\" object");
		return SP_EX_DATAERR;
	}
	sp_strbuf_reset(&w->tmp);
	if (sp_json_dump(&w->tmp, data)) {
		snprintf(err, errlen, "string holds a NUL character");
		return SP_EX_DATAERR;
	}
	if (w->tmp.oom) {
		snprintf(err, errlen, "out of memory");
		return SP_EX_SOFTWARE;
	}
	return sp_docw_row_json(w, table, w->tmp.p, w->tmp.len, err, errlen);
}

int
sp_docw_finish(struct sp_docw *w, const char *timestamp, char *err, size_t errlen)
{
	char now[40];
	int i;

	for (i = 0; i < sp_db_ntables; i++)
		if (!w->done[i])
			open_table(w, i);
	if (w->cur >= 0)
		sp_strbuf_putc(&w->out, ']');
	if (!timestamp) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		/* seconds since 2000 in microseconds, as sp_ts_format wants */
		sp_ts_format(((int64_t)ts.tv_sec - 946684800) * 1000000 + ts.tv_nsec / 1000, now);
		timestamp = now;
	}
	sp_strbuf_puts(&w->out, ",\"timestamp\":");
	sp_json_quote(&w->out, timestamp, strlen(timestamp));
	sp_strbuf_puts(&w->out, "}\n");
	w->cur = -1;
	return flush_out(w, 0, err, errlen);
}

/* ---------------- reader ---------------- */

enum rstate {
	R_START,		/* before '{' */
	R_KEY,			/* before a key or '}' */
	R_KEYSTR,		/* inside a key string */
	R_COLON,
	R_VALUE,		/* before a member value */
	R_ELEM,			/* before an array element or ']' */
	R_ELEMSEP,		/* after an element: ',' or ']' */
	R_SCAN,			/* inside a value being scanned */
	R_AFTER,		/* after a member value: ',' or '}' */
	R_DONE,
};

struct sp_docr {
	sp_docr_read_fn read;
	void *arg;
	enum rstate st;
	int first;		/* nothing yet in the object/array */
	int table;		/* index of the member's table, -1 other key */
	int is_ts;		/* member is "timestamp" */
	int is_del;		/* member is "delete:TABLE" (deletions) */
	int allow_del;		/* deletions taken (sp_docr_allow_delete) */
	int elem_del;		/* the row last returned is a deletion */
	int seen[2 * MAXT];
	long long idx;		/* elements of the current table so far */
	/* value scanner */
	enum rstate after;	/* state when the scanned value ends */
	int keep;		/* keep the bytes */
	int depth, instr, esc, scalar;
	struct sp_strbuf val, key;
	unsigned long long off;	/* bytes consumed */
	char *ts;
	char *keyname;		/* the member's key */
	char where[96];
	char *buf;		/* pull interface */
	size_t blen, bpos;
	int eof;
	size_t max;		/* largest row (or other value) */
};

ssize_t
sp_docr_read_file(void *fp, void *buf, size_t n)
{
	size_t k = fread(buf, 1, n, fp);

	if (k == 0 && ferror((FILE *)fp))
		return -1;
	return (ssize_t)k;
}

struct sp_docr *
sp_docr_new(sp_docr_read_fn read, void *arg)
{
	struct sp_docr *r = calloc(1, sizeof *r);

	if (!r)
		return NULL;
	r->read = read;
	r->arg = arg;
	r->st = R_START;
	r->table = -1;
	r->max = MAXELEM;
	return r;
}

void
sp_docr_max_row(struct sp_docr *r, size_t max)
{
	r->max = max ? max : MAXELEM;
}

void
sp_docr_free(struct sp_docr *r)
{
	if (!r)
		return;
	sp_strbuf_free(&r->val);
	sp_strbuf_free(&r->key);
	free(r->ts);
	free(r->keyname);
	free(r->buf);
	free(r);
}

const char *
sp_docr_timestamp(struct sp_docr *r)
{
	return r->ts;
}

const char *
sp_docr_where(void *vr)
{
	struct sp_docr *r = vr;

	if (r->table >= 0 && r->idx > 0 && (r->st == R_ELEMSEP || r->st == R_ELEM))
		snprintf(r->where, sizeof r->where, "%s%s[%lld]", r->is_del ? DEL_PREFIX : "",
		    sp_db_tables[r->table].doc, r->idx - 1);
	else
		snprintf(r->where, sizeof r->where, "document byte %llu", r->off);
	return r->where;
}

static int
isws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static ssize_t
bad(struct sp_docr *r, char *err, size_t errlen, const char *what)
{
	snprintf(err, errlen, "document byte %llu: %s", r->off, what);
	return -1;
}

/* Decode the JSON text in b (a complete value) with jansson. */
static json_t *
decode(struct sp_strbuf *b, char *err, size_t errlen, unsigned long long off)
{
	json_error_t e;
	json_t *v = json_loadb(b->p ? b->p : "", b->len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &e);

	if (!v)
		snprintf(err, errlen, "document byte %llu: malformed JSON: %s", off, e.text);
	return v;
}

/* Start scanning a value whose first byte is c; the caller then feeds on. */
static void
scan_start(struct sp_docr *r, char c, int keep, enum rstate after)
{
	r->st = R_SCAN;
	r->after = after;
	r->keep = keep;
	r->depth = 0;
	r->instr = r->esc = 0;
	r->scalar = c != '{' && c != '[' && c != '"';
	sp_strbuf_reset(&r->val);
}

/* Finish the scanned value: an element row, the timestamp, or a skipped value. */
static ssize_t
scan_end(struct sp_docr *r, json_t **rec, char *err, size_t errlen)
{
	json_t *v;

	r->st = r->after;
	if (!r->keep)
		return 0;
	if (r->val.oom) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (!(v = decode(&r->val, err, errlen, r->off)))
		return -1;
	if (r->after == R_ELEMSEP) {
		if (!json_is_object(v)) {
			json_decref(v);
			snprintf(err, errlen, "%s%s[%lld]: a row must be a JSON object",
			    r->is_del ? DEL_PREFIX : "", sp_db_tables[r->table].doc, r->idx);
			return -1;
		}
		if (r->is_del) {
			/* a deletion names the row by its id, nothing else */
			json_t *id = json_object_get(v, "id");

			if (!json_is_string(id) || json_object_size(v) != 1) {
				json_decref(v);
				snprintf(err, errlen, DEL_PREFIX "%s[%lld]: a deletion is {\"id\": STRING}",
				    sp_db_tables[r->table].doc, r->idx);
				return -1;
			}
		}
		r->idx++;
		r->elem_del = r->is_del;
		*rec = json_pack("{s:s,s:s,s:o}", "type", "row", "table", sp_db_tables[r->table].name,
		    "data", v);
		if (!*rec) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	} else if (r->is_ts) {
		if (!json_is_string(v)) {
			json_decref(v);
			return bad(r, err, errlen, "\"timestamp\" is not a string");
		}
		free(r->ts);
		r->ts = strdup(json_string_value(v));
		json_decref(v);
	} else {
		json_decref(v);	/* another member: valid JSON, not used */
	}
	return 0;
}

/* Scan on in a value (R_SCAN): copy as much of it as buf holds in one go;
 * returns the bytes taken, -1 on an error. */
static ssize_t
scan_feed(struct sp_docr *r, const char *buf, size_t n, json_t **rec, char *err, size_t errlen)
{
	size_t j = 0;
	int end = 0;

	for (; j < n; j++) {
		char c = buf[j];

		if (r->instr) {
			if (r->esc)
				r->esc = 0;
			else if (c == '\\')
				r->esc = 1;
			else if (c == '"') {
				r->instr = 0;
				if (r->depth == 0 && !r->scalar) {
					j++;
					end = 1;
					break;
				}
			}
		} else if (r->scalar) {
			if (isws(c) || c == ',' || c == ']' || c == '}') {
				end = 1;
				break;
			}
		} else if (c == '"') {
			r->instr = 1;
		} else if (c == '{' || c == '[') {
			r->depth++;
		} else if ((c == '}' || c == ']') && --r->depth == 0) {
			j++;
			end = 1;
			break;
		}
	}
	if (r->keep) {
		sp_strbuf_add(&r->val, buf, j);
		if (r->val.len > r->max) {
			char m[96];
			snprintf(m, sizeof m, "a %s larger than %zu bytes",
			    r->after == R_ELEMSEP ? "row" : "value", r->max);
			return bad(r, err, errlen, m);
		}
	}
	r->off += j;
	if (end && scan_end(r, rec, err, errlen) < 0)
		return -1;
	return (ssize_t)j;
}

/* The key (a table's name, "timestamp" or another) has ended: note it. */
static int
key_end(struct sp_docr *r, char *err, size_t errlen)
{
	const struct sp_dbtable *t;
	json_t *k;
	const char *ks;

	if (!(k = decode(&r->key, err, errlen, r->off)))
		return -1;
	ks = json_string_value(k);
	free(r->keyname);
	r->keyname = strdup(ks);
	r->is_del = !strncmp(ks, DEL_PREFIX, strlen(DEL_PREFIX));
	t = sp_db_doc_table(r->is_del ? ks + strlen(DEL_PREFIX) : ks);
	r->table = t ? sp_db_table_index(t) : -1;
	r->is_ts = !strcmp(ks, "timestamp");
	json_decref(k);
	if (r->is_del && r->table < 0) {
		snprintf(err, errlen, "document byte %llu: \"%.64s\": deletions of an unknown table "
		    "(tables: agents, users, skills, contexts, content)", r->off, r->keyname);
		return -1;
	}
	if (r->is_del && !r->allow_del) {
		snprintf(err, errlen, "document byte %llu: \"%.64s\": the document deletes rows, "
		    "which is not taken here", r->off, r->keyname);
		return -1;
	}
	if (r->table >= 0 && r->seen[r->table + r->is_del * MAXT])
		return (int)bad(r, err, errlen, "a table appears twice in the document");
	if (r->table >= 0)
		r->seen[r->table + r->is_del * MAXT] = 1;
	r->st = R_COLON;
	return 0;
}

/* Scan on in a key (R_KEYSTR); returns the bytes taken, -1 on an error. */
static ssize_t
key_feed(struct sp_docr *r, const char *buf, size_t n, char *err, size_t errlen)
{
	size_t j = 0;

	for (; j < n; j++) {
		if (r->esc)
			r->esc = 0;
		else if (buf[j] == '\\')
			r->esc = 1;
		else if (buf[j] == '"')
			break;
	}
	sp_strbuf_add(&r->key, buf, j);
	r->off += j;
	if (j == n)
		return (ssize_t)j;
	sp_strbuf_putc(&r->key, '"');
	r->off++;
	return key_end(r, err, errlen) < 0 ? -1 : (ssize_t)j + 1;
}

/* One byte of the document's structure (not white space, not inside a
 * value or key): 0 when c is taken, 1 when a value starts at c and the
 * scanner is to take it, -1 on an error. */
static int
step(struct sp_docr *r, char c, char *err, size_t errlen)
{
	switch (r->st) {
	case R_START:
		if (c != '{')
			return (int)bad(r, err, errlen, "not a DatabaseExport document (expected '{')");
		r->st = R_KEY;
		r->first = 1;
		return 0;
	case R_KEY:
		if (c == '}' && r->first) {
			r->st = R_DONE;
			return 0;
		}
		if (c != '"')
			return (int)bad(r, err, errlen, "expected a key");
		sp_strbuf_reset(&r->key);
		sp_strbuf_putc(&r->key, '"');
		r->esc = 0;
		r->st = R_KEYSTR;
		return 0;
	case R_COLON:
		if (c != ':')
			return (int)bad(r, err, errlen, "expected ':'");
		r->st = R_VALUE;
		return 0;
	case R_VALUE:
		if (r->table >= 0) {
			if (c != '[')
				return (int)bad(r, err, errlen, "a table's rows must be an array");
			r->st = R_ELEM;
			r->first = 1;
			r->idx = 0;
			return 0;
		}
		if (c == '[') {
			snprintf(err, errlen, "document byte %llu: unknown table \"%s\" (tables: "
			    "agents, users, skills, contexts, content)", r->off,
			    r->keyname ? r->keyname : "?");
			return -1;
		}
		scan_start(r, c, 1, R_AFTER);	/* kept to be validated */
		return 1;
	case R_ELEM:
		if (c == ']' && r->first) {
			r->st = R_AFTER;
			return 0;
		}
		if (c != '{') {
			snprintf(err, errlen, "%s[%lld]: a row must be a JSON object",
			    sp_db_tables[r->table].doc, r->idx);
			return -1;
		}
		r->first = 0;
		scan_start(r, c, 1, R_ELEMSEP);
		return 1;
	case R_ELEMSEP:
		if (c == ',')
			r->st = R_ELEM;
		else if (c == ']')
			r->st = R_AFTER;
		else
			return (int)bad(r, err, errlen, "expected ',' or ']'");
		return 0;
	case R_AFTER:
		r->table = -1;
		if (c == ',') {
			r->st = R_KEY;
			r->first = 0;
		} else if (c == '}') {
			r->st = R_DONE;
		} else {
			return (int)bad(r, err, errlen, "expected ',' or '}'");
		}
		return 0;
	case R_DONE:
		return (int)bad(r, err, errlen, "data after the end of the document");
	default:
		return 0;
	}
}

ssize_t
sp_docr_feed(struct sp_docr *r, const char *buf, size_t n, json_t **rec, char *err, size_t errlen)
{
	size_t i = 0;

	*rec = NULL;
	while (i < n && !*rec) {
		ssize_t k;

		if (r->st == R_SCAN) {
			k = scan_feed(r, buf + i, n - i, rec, err, errlen);
		} else if (r->st == R_KEYSTR) {
			k = key_feed(r, buf + i, n - i, err, errlen);
		} else {
			int s = isws(buf[i]) ? 0 : step(r, buf[i], err, errlen);

			if (s < 0)
				return -1;
			k = !s;		/* 1: c taken; 0: the scanner takes it */
			r->off += (size_t)k;
		}
		if (k < 0)
			return -1;
		i += (size_t)k;
	}
	if (r->key.oom || r->val.oom) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return (ssize_t)i;
}

int
sp_docr_end(struct sp_docr *r, char *err, size_t errlen)
{
	if (r->st != R_DONE) {
		snprintf(err, errlen, "document byte %llu: the document ends too early", r->off);
		return SP_EX_DATAERR;
	}
	return 0;
}

int
sp_docr_next(struct sp_docr *r, json_t **rec, char *err, size_t errlen)
{
	*rec = NULL;
	if (!r->read) {
		snprintf(err, errlen, "sp_docr_next: the reader has no read function");
		return SP_EX_SOFTWARE;
	}
	if (!r->buf && !(r->buf = malloc(CHUNK))) {
		snprintf(err, errlen, "out of memory");
		return SP_EX_SOFTWARE;
	}
	for (;;) {
		ssize_t k;

		if (r->bpos == r->blen) {
			if (r->eof)
				return sp_docr_end(r, err, errlen) ? SP_EX_DATAERR : 0;
			k = r->read(r->arg, r->buf, CHUNK);
			if (k < 0) {
				snprintf(err, errlen, "reading the document: %s", strerror(errno));
				return SP_EX_IOERR;
			}
			if (k == 0) {
				r->eof = 1;
				continue;
			}
			r->bpos = 0;
			r->blen = (size_t)k;
		}
		k = sp_docr_feed(r, r->buf + r->bpos, r->blen - r->bpos, rec, err, errlen);
		if (k < 0)
			return SP_EX_DATAERR;
		r->bpos += (size_t)k;
		if (*rec)
			return 1;
	}
}

int
sp_docr_next_item(void *vr, json_t **rec, int *del, char *err, size_t errlen)
{
	struct sp_docr *r = vr;
	int rc = sp_docr_next(r, rec, err, errlen);

	*del = rc == 1 && r->elem_del;
	return rc;
}

void
sp_docr_allow_delete(struct sp_docr *r, int on)
{
	r->allow_del = on;
}

int
sp_docr_deletion(struct sp_docr *r)
{
	return r->elem_del;
}
