/* types.c - row values between JSON and PostgreSQL's binary format. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/tstamp.h"
#include "core/uuid.h"
#include "db/types.h"

#define TEXTOID 25


void
sp_json_compact(struct sp_strbuf *b, const char *s, size_t n)
{
	size_t i, run = 0;
	int instr = 0;

	for (i = 0; i < n; i++) {
		char c = s[i];

		if (instr) {
			if (c == '\\')
				i++;
			else if (c == '"')
				instr = 0;
		} else if (c == '"') {
			instr = 1;
		} else if (c == ' ' || c == '\n' || c == '\t' || c == '\r') {
			sp_strbuf_add(b, s + run, i - run);
			run = i + 1;
		}
	}
	sp_strbuf_add(b, s + run, n - run);
}

/* Overwrite the int32 length placeholder at off with the bytes after it. */
static void
patch_len(struct sp_strbuf *b, size_t off)
{
	uint32_t n = (uint32_t)(b->len - off - 4);
	unsigned char *p = (unsigned char *)b->p + off;

	if (b->oom)
		return;
	p[0] = n >> 24;
	p[1] = n >> 16;
	p[2] = n >> 8;
	p[3] = n;
}

static int
string_ok(json_t *v, char *why, size_t whylen)
{
	if (!json_is_string(v)) {
		snprintf(why, whylen, "expected a string");
		return 0;
	}
	if (strlen(json_string_value(v)) != json_string_length(v)) {
		snprintf(why, whylen, "string holds a NUL character");
		return 0;
	}
	return 1;
}

int
sp_dbval_to_copy(struct sp_strbuf *b, enum sp_dbtype type, json_t *v, char *why, size_t whylen)
{
	unsigned char u[16];
	const char *reason;
	int64_t ts;
	size_t off, i, n;
	json_t *e;
	int nulls = 0;

	if (json_is_null(v)) {
		sp_strbuf_be32(b, 0xffffffffu);
		return 0;
	}
	switch (type) {
	case SP_DB_UUID:
		if (!json_is_string(v) || sp_uuid_parse(json_string_value(v), u)) {
			snprintf(why, whylen, "expected a UUID string");
			return -1;
		}
		sp_strbuf_be32(b, 16);
		sp_strbuf_add(b, u, 16);
		return 0;
	case SP_DB_TEXT:
		if (!string_ok(v, why, whylen))
			return -1;
		sp_strbuf_be32(b, (uint32_t)json_string_length(v));
		sp_strbuf_add(b, json_string_value(v), json_string_length(v));
		return 0;
	case SP_DB_BOOL:
		if (!json_is_boolean(v)) {
			snprintf(why, whylen, "expected true or false");
			return -1;
		}
		sp_strbuf_be32(b, 1);
		sp_strbuf_putc(b, json_is_true(v) ? 1 : 0);
		return 0;
	case SP_DB_JSONB:
		off = b->len;
		sp_strbuf_be32(b, 0);
		sp_strbuf_putc(b, 1);	/* jsonb binary format version */
		if (sp_json_dump(b, v)) {
			snprintf(why, whylen, "string holds a NUL character");
			return -1;
		}
		patch_len(b, off);
		return 0;
	case SP_DB_TEXTARR:
		if (!json_is_array(v)) {
			snprintf(why, whylen, "expected an array of strings");
			return -1;
		}
		n = json_array_size(v);
		json_array_foreach(v, i, e) {
			if (json_is_null(e))
				nulls = 1;
			else if (!string_ok(e, why, whylen)) {
				snprintf(why, whylen, "expected an array of strings (element %zu)", i);
				return -1;
			}
		}
		off = b->len;
		sp_strbuf_be32(b, 0);
		sp_strbuf_be32(b, n ? 1 : 0);
		sp_strbuf_be32(b, (uint32_t)nulls);
		sp_strbuf_be32(b, TEXTOID);
		if (n) {
			sp_strbuf_be32(b, (uint32_t)n);
			sp_strbuf_be32(b, 1);
		}
		json_array_foreach(v, i, e) {
			if (json_is_null(e)) {
				sp_strbuf_be32(b, 0xffffffffu);
				continue;
			}
			sp_strbuf_be32(b, (uint32_t)json_string_length(e));
			sp_strbuf_add(b, json_string_value(e), json_string_length(e));
		}
		patch_len(b, off);
		return 0;
	case SP_DB_TSTZ:
		if (!json_is_string(v)) {
			snprintf(why, whylen, "expected an RFC 3339 date-time string");
			return -1;
		}
		if (sp_ts_parse(json_string_value(v), &ts, &reason)) {
			snprintf(why, whylen, "%s: \"%.64s\"", reason, json_string_value(v));
			return -1;
		}
		sp_strbuf_be32(b, 8);
		sp_strbuf_be64(b, (uint64_t)ts);
		return 0;
	}
	snprintf(why, whylen, "unsupported column type");
	return -1;
}

static uint32_t
rd32(const char *p)
{
	const unsigned char *u = (const unsigned char *)p;

	return (uint32_t)u[0] << 24 | (uint32_t)u[1] << 16 | (uint32_t)u[2] << 8 | u[3];
}

int
sp_dbval_to_json(struct sp_strbuf *b, enum sp_dbtype type, const char *p, size_t n, char *why, size_t whylen)
{
	char s[48];
	uint32_t ndim, nel, i, len;
	const char *q, *end = p + n;

	switch (type) {
	case SP_DB_UUID:
		if (n != 16)
			break;
		sp_uuid_format((const unsigned char *)p, s + 1);
		s[0] = '"';
		s[37] = '"';
		sp_strbuf_add(b, s, 38);
		return 0;
	case SP_DB_TEXT:
		sp_json_quote(b, p, n);
		return 0;
	case SP_DB_BOOL:
		if (n != 1)
			break;
		sp_strbuf_puts(b, *p ? "true" : "false");
		return 0;
	case SP_DB_JSONB:
		if (n < 1 || *p != 1)
			break;
		sp_json_compact(b, p + 1, n - 1);
		return 0;
	case SP_DB_TEXTARR:
		if (n < 12)
			break;
		ndim = rd32(p);
		if (ndim > 1) {
			snprintf(why, whylen, "multi-dimensional arrays are not supported");
			return -1;
		}
		q = p + 12;
		nel = 0;
		if (ndim == 1) {
			if (n < 20)
				break;
			nel = rd32(q);
			q += 8;
		}
		sp_strbuf_putc(b, '[');
		for (i = 0; i < nel; i++) {
			if (end - q < 4)
				goto bad;
			len = rd32(q);
			q += 4;
			if (i)
				sp_strbuf_putc(b, ',');
			if (len == 0xffffffffu) {
				sp_strbuf_puts(b, "null");
				continue;
			}
			if ((size_t)(end - q) < len)
				goto bad;
			sp_json_quote(b, q, len);
			q += len;
		}
		sp_strbuf_putc(b, ']');
		return 0;
	case SP_DB_TSTZ:
		if (n != 8)
			break;
		s[0] = '"';
		sp_ts_format((int64_t)((uint64_t)rd32(p) << 32 | rd32(p + 4)), s + 1);
		strcat(s, "\"");
		sp_strbuf_puts(b, s);
		return 0;
	}
bad:
	snprintf(why, whylen, "unexpected binary %s value", sp_db_type_name(type));
	return -1;
}

const char *
sp_db_row_rfc3339(json_t *rec, char *why, size_t whylen)
{
	const struct sp_dbtable *t = sp_db_table(json_string_value(json_object_get(rec, "table")) ?: "");
	json_t *data = json_object_get(rec, "data"), *v;
	/* 0001-01-01T00:00:00Z and 10000-01-01T00:00:00Z, microseconds since 2000 */
	const int64_t lo = (sp_days_from_civil(1, 1, 1) - 10957) * 86400000000LL;
	const int64_t hi = (sp_days_from_civil(10000, 1, 1) - 10957) * 86400000000LL;
	const char *reason;
	int64_t us;

	if (!t || !json_is_object(data))
		return NULL;	/* the importer says what is wrong with it */
	for (int i = 0; i < t->ncols; i++) {
		if (t->cols[i].type != SP_DB_TSTZ || !json_is_string(v = json_object_get(data, t->cols[i].name)))
			continue;
		if (sp_ts_parse(json_string_value(v), &us, &reason) == 0 && (us < lo || us >= hi)) {
			snprintf(why, whylen, "%s.%s: \"%.40s\" is outside RFC 3339 (years 0001-9999)",
			    t->name, t->cols[i].name, json_string_value(v));
			return why;
		}
	}
	return NULL;
}
