/* jsonout.c - compact JSON text from jansson values: strings quoted as
 * PostgreSQL's to_json does, reals in their shortest round-trip form. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rec/jsonout.h"

void
sp_json_quote(struct sp_strbuf *b, const char *s, size_t n)
{
	size_t i, run = 0;

	if (sp_strbuf_grow(b, n + 2))
		return;
	sp_strbuf_putc(b, '"');
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *esc;
		char u[8];

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		sp_strbuf_add(b, s + run, i - run);
		run = i + 1;
		switch (c) {
		case '"': esc = "\\\""; break;
		case '\\': esc = "\\\\"; break;
		case '\b': esc = "\\b"; break;
		case '\f': esc = "\\f"; break;
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		case '\t': esc = "\\t"; break;
		default:
			snprintf(u, sizeof u, "\\u%04x", c);
			esc = u;
		}
		sp_strbuf_puts(b, esc);
	}
	sp_strbuf_add(b, s + run, n - run);
	sp_strbuf_putc(b, '"');
}

static void
dump_real(struct sp_strbuf *b, double x)
{
	char s[40];
	int p;

	for (p = 1; p <= 17; p++) {
		snprintf(s, sizeof s, "%.*g", p, x);
		if (strtod(s, NULL) == x)
			break;
	}
	/* positional, not 1.5e+03, for magnitudes people write that way */
	if (strchr(s, 'e') && isfinite(x) && fabs(x) >= 1e-5 && fabs(x) < 1e17) {
		char t[64];
		int d = p - 1 - (int)floor(log10(fabs(x)));

		snprintf(t, sizeof t, "%.*f", d < 0 ? 0 : d, x);
		if (strlen(t) < sizeof s && strtod(t, NULL) == x)
			strcpy(s, t);
	}
	if (!strpbrk(s, ".eEni"))
		strcat(s, ".0");	/* stays a real, as jansson writes it */
	sp_strbuf_puts(b, s);
}

int
sp_json_dump(struct sp_strbuf *b, json_t *v)
{
	const char *k;
	json_t *e;
	size_t i;
	int first = 1;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		sp_strbuf_putc(b, '{');
		json_object_foreach(v, k, e) {
			if (!first)
				sp_strbuf_putc(b, ',');
			first = 0;
			sp_json_quote(b, k, strlen(k));
			sp_strbuf_putc(b, ':');
			if (sp_json_dump(b, e))
				return -1;
		}
		sp_strbuf_putc(b, '}');
		return 0;
	case JSON_ARRAY:
		sp_strbuf_putc(b, '[');
		json_array_foreach(v, i, e) {
			if (i)
				sp_strbuf_putc(b, ',');
			if (sp_json_dump(b, e))
				return -1;
		}
		sp_strbuf_putc(b, ']');
		return 0;
	case JSON_STRING:
		if (memchr(json_string_value(v), '\0', json_string_length(v)))
			return -1;
		sp_json_quote(b, json_string_value(v), json_string_length(v));
		return 0;
	case JSON_INTEGER:
		sp_strbuf_printf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return 0;
	case JSON_REAL:
		dump_real(b, json_real_value(v));
		return 0;
	case JSON_TRUE:
		sp_strbuf_puts(b, "true");
		return 0;
	case JSON_FALSE:
		sp_strbuf_puts(b, "false");
		return 0;
	case JSON_NULL:
		sp_strbuf_puts(b, "null");
		return 0;
	}
	return -1;
}
