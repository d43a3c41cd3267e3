/* dbtypes.c - row values between JSON and PostgreSQL's binary format. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbtypes.h"
#include "tstamp.h"

#define TEXTOID 25
#define USECS_PER_DAY 86400000000LL
#define PG_EPOCH_DAYS 10957	/* 2000-01-01 in days since 1970-01-01 */

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
sp_uuid_parse(const char *s, unsigned char out[16])
{
	int i, k = 0;

	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return -1;
			continue;
		}
		int h = hexval((unsigned char)s[i]);
		if (h < 0)
			return -1;
		if (k % 2 == 0)
			out[k / 2] = (unsigned char)(h << 4);
		else
			out[k / 2] |= (unsigned char)h;
		k++;
	}
	return s[36] == '\0' ? 0 : -1;
}

void
sp_uuid_format(const unsigned char in[16], char out[37])
{
	static const char hx[] = "0123456789abcdef";
	int i, o = 0;

	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hx[in[i] >> 4];
		out[o++] = hx[in[i] & 15];
	}
	out[o] = '\0';
}

int
sp_ts_parse(const char *s, int64_t *out, const char **why)
{
	static const unsigned char mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int y, mo, d, h = 0, mi = 0, sec = 0, oh = 0, om = 0, sign = 0;
	int64_t frac = 0, us;
	const char *p = s;

	*why = "not an RFC 3339 date-time";
	if (!strcmp(s, "infinity") || !strcmp(s, "+infinity")) {
		*out = SP_TS_INFINITY;
		return 0;
	}
	if (!strcmp(s, "-infinity")) {
		*out = SP_TS_NINFINITY;
		return 0;
	}
	/* four-digit years as RFC 3339 has them; and, as sp_ts_format writes
	 * what PostgreSQL holds beyond them, up to six digits and a "-" for
	 * years before 1 AD (astronomical numbering: 0 is 1 BC) */
	int neg = *p == '-', nd = 0;
	if (neg)
		p++;
	while (p[nd] >= '0' && p[nd] <= '9')
		nd++;
	if (nd < 4 || nd > 6 || (nd > 4 && p[0] == '0') || sp_digits(&p, nd, &y) || *p++ != '-' ||
	    sp_digits(&p, 2, &mo) || *p++ != '-' || sp_digits(&p, 2, &d))
		return -1;
	if (neg)
		y = -y;
	/* PostgreSQL's range: 4714-11-24 BC (astronomical -4713) on */
	if ((!neg && y < 1) || y < -4713 || (y == -4713 && (mo < 11 || (mo == 11 && d < 24))) ||
	    y > 294276 || mo < 1 || mo > 12 || d < 1) {
		*why = "date out of range";
		return -1;
	}
	if (d > mdays[mo - 1] + (mo == 2 && sp_leap_year(y))) {
		*why = "no such day";
		return -1;
	}
	if (*p) {
		if (*p != 'T' && *p != 't' && *p != ' ')
			return -1;
		p++;
		if (sp_digits(&p, 2, &h) || *p++ != ':' || sp_digits(&p, 2, &mi) || *p++ != ':' ||
		    sp_digits(&p, 2, &sec))
			return -1;
		if (*p == '.') {
			int n = 0, round = 0;

			p++;
			if (*p < '0' || *p > '9')
				return -1;
			for (; *p >= '0' && *p <= '9'; p++, n++) {
				if (n < 6)
					frac = frac * 10 + (*p - '0');
				else if (n == 6)
					round = *p >= '5';
			}
			for (; n < 6; n++)
				frac *= 10;
			frac += round;
		}
		if (*p == 'Z' || *p == 'z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			sign = *p++ == '-' ? -1 : 1;
			if (sp_digits(&p, 2, &oh))
				return -1;
			if (*p == ':')
				p++;
			if (*p && sp_digits(&p, 2, &om))
				return -1;
		} else {
			*why = "date-time without a time zone ('Z' or an offset)";
			return -1;
		}
		if (*p)
			return -1;
		if (h > 23 || mi > 59 || sec > 60 || oh > 15 || om > 59) {
			*why = "time out of range";
			return -1;
		}
	}
	us = ((sp_days_from_civil(y, (unsigned)mo, (unsigned)d) - PG_EPOCH_DAYS) * 86400 +
	    h * 3600 + mi * 60 + sec - sign * (oh * 3600 + om * 60)) * 1000000LL + frac;
	*out = us;
	return 0;
}

void
sp_ts_format(int64_t us, char *out)
{
	int64_t days, rem, y;
	unsigned m, d;
	int n, k;

	if (us == SP_TS_INFINITY || us == SP_TS_NINFINITY) {
		strcpy(out, us == SP_TS_INFINITY ? "infinity" : "-infinity");
		return;
	}
	days = us / USECS_PER_DAY;
	rem = us % USECS_PER_DAY;
	if (rem < 0) {
		rem += USECS_PER_DAY;
		days--;
	}
	sp_civil_from_days(days + PG_EPOCH_DAYS, &y, &m, &d);
	n = sprintf(out, y <= 0 ? "-%04lld-%02u-%02uT%02d:%02d:%02d" : "%04lld-%02u-%02uT%02d:%02d:%02d",
	    (long long)(y <= 0 ? -y : y), m, d,
	    (int)(rem / 3600000000LL), (int)(rem / 60000000 % 60), (int)(rem / 1000000 % 60));
	if (rem % 1000000) {
		n += sprintf(out + n, ".%06d", (int)(rem % 1000000));
		for (k = n; out[k - 1] == '0'; k--)
			;
		n = k;
	}
	out[n++] = 'Z';
	out[n] = '\0';
}


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
