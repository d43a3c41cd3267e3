/* ndjson.c - newline-delimited JSON records on jansson. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/strbuf.h"
#include "rec/jsonout.h"
#include "rec/ndjson.h"

struct sp_reader *
sp_reader_fdopen(FILE *fp, const char *name)
{
	struct sp_reader *r = sp_calloc(1, sizeof *r);

	r->fp = fp;
	r->name = sp_strdup(name);
	return r;
}

struct sp_reader *
sp_reader_open(const char *path)
{
	FILE *fp;

	if (!path || !strcmp(path, "-"))
		return sp_reader_fdopen(stdin, "<stdin>");
	fp = fopen(path, "r");
	if (!fp)
		sp_die_errno(sp_ex_for_errno(errno), "%s", path);
	return sp_reader_fdopen(fp, path);
}

const char *
sp_reader_where(struct sp_reader *r)
{
	static char buf[4200];

	snprintf(buf, sizeof buf, "%s:%lu", r->name, r->line);
	return buf;
}

void
sp_reader_die(struct sp_reader *r, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	sp_die(SP_EX_DATAERR, "%s: %s", sp_reader_where(r), msg);
}

json_t *
sp_record_parse(const char *s, size_t n, char *why, size_t whylen)
{
	json_error_t e;
	json_t *o, *t;

	if (memchr(s, '\0', n)) {
		snprintf(why, whylen, "embedded NUL byte");
		return NULL;
	}
	o = json_loadb(s, n, JSON_REJECT_DUPLICATES, &e);
	if (!o) {
		snprintf(why, whylen, "malformed JSON: %s (column %d)", e.text, e.column);
		return NULL;
	}
	if (!json_is_object(o)) {
		json_decref(o);
		snprintf(why, whylen, "record is not a JSON object");
		return NULL;
	}
	t = json_object_get(o, "type");
	if (!json_is_string(t)) {
		json_decref(o);
		snprintf(why, whylen, "record has no \"type\" string");
		return NULL;
	}
	return o;
}

ssize_t
sp_getline_max(char **buf, size_t *cap, FILE *fp, size_t max)
{
	size_t len = 0;
	int c;

	flockfile(fp);
	while ((c = getc_unlocked(fp)) != EOF) {
		if (len + 2 > *cap) {
			*cap = *cap ? 2 * *cap : 4096;
			*buf = sp_realloc(*buf, *cap);
		}
		(*buf)[len++] = (char)c;
		if (c == '\n')
			break;
		if (len > max) {
			funlockfile(fp);
			return -2;
		}
	}
	funlockfile(fp);
	if (len == 0)
		return -1;
	(*buf)[len] = '\0';
	return (ssize_t)len;
}

json_t *
sp_reader_next(struct sp_reader *r)
{
	char why[256];
	ssize_t n;
	json_t *o;

	for (;;) {
		errno = 0;
		n = sp_getline_max(&r->buf, &r->cap, r->fp, SP_RECORD_MAX);
		if (n == -2) {
			r->line++;
			sp_reader_die(r, "a record over %d MiB", (int)(SP_RECORD_MAX >> 20));
		}
		if (n < 0) {
			if (ferror(r->fp))
				sp_die_errno(SP_EX_IOERR, "%s: read error", r->name);
			return NULL;
		}
		r->line++;
		if (n > 0 && r->buf[n - 1] == '\n')
			n--;
		if (n > 0 && r->buf[n - 1] == '\r')
			n--;
		if (n == 0)
			continue;
		o = sp_record_parse(r->buf, (size_t)n, why, sizeof why);
		if (!o)
			sp_reader_die(r, "%s", why);
		return o;
	}
}

void
sp_reader_close(struct sp_reader *r)
{
	if (!r)
		return;
	if (r->fp != stdin)
		fclose(r->fp);
	free(r->buf);
	free(r->name);
	free(r);
}

void
sp_write_record(FILE *fp, json_t *obj)
{
	/* sp_json_dump, not json_dumps: a real is written in its shortest
	 * form that reads back the same (0.1, not 0.10000000000000001) */
	static __thread struct sp_strbuf b;

	b.len = 0;
	if (sp_json_dump(&b, obj) == 0 && !b.oom) {
		sp_strbuf_putc(&b, '\n');
		if (b.oom)
			sp_die(SP_EX_SOFTWARE, "out of memory");
		if (fwrite(b.p, 1, b.len, fp) != b.len)
			sp_die_errno(SP_EX_IOERR, "write error");
		if (b.cap > (1 << 20)) {	/* do not keep a huge record's buffer */
			sp_strbuf_free(&b);
			memset(&b, 0, sizeof b);
		}
		return;
	}
	/* a string with a NUL (\u0000): jansson writes it */
	char *s = json_dumps(obj, JSON_COMPACT);
	size_t n;

	if (!s)
		sp_die(SP_EX_SOFTWARE, "cannot serialise a record");
	n = strlen(s);
	s[n] = '\n';	/* json_dumps leaves room only for the NUL; replace it */
	if (fwrite(s, 1, n + 1, fp) != n + 1) {
		free(s);
		sp_die_errno(SP_EX_IOERR, "write error");
	}
	free(s);
}

void
sp_emit(json_t *obj)
{
	sp_write_record(stdout, obj);
	json_decref(obj);
}

const char *
sp_record_type(json_t *rec)
{
	const char *t = json_string_value(json_object_get(rec, "type"));

	return t ? t : "";
}
