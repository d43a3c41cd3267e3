/* yamlval.c - YAML documents <-> jansson values, keeping YAML types. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "core/err.h"
#include "local/yamlval.h"

#define MAX_DEPTH 200
#define MAX_NODES 1000000	/* nodes after expanding aliases */

struct ld {
	yaml_parser_t p;
	json_t *anchors;	/* anchor -> [value, cost] */
	unsigned long line0;
	unsigned long nodes;
	json_t *marks;
	const char *kstack[3];	/* the keys leading to the mapping being read */
	char *err;
	size_t errlen;
	int failed;
};

static void
fail(struct ld *L, const yaml_mark_t *m, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (L->failed)
		return;
	L->failed = 1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	snprintf(L->err, L->errlen, "%lu:%lu: %s", L->line0 + m->line + 1,
	    (unsigned long)m->column + 1, msg);
}

static int
next(struct ld *L, yaml_event_t *ev)
{
	if (yaml_parser_parse(&L->p, ev))
		return 0;
	if (!L->failed) {
		L->failed = 1;
		snprintf(L->err, L->errlen, "%lu:%lu: %s%s%s", L->line0 + L->p.problem_mark.line + 1,
		    (unsigned long)L->p.problem_mark.column + 1,
		    L->p.problem ? L->p.problem : "invalid YAML",
		    L->p.context ? " " : "", L->p.context ? L->p.context : "");
	}
	return -1;
}

static int
match(const char *s, size_t n, const char *const *words)
{
	for (; *words; words++)
		if (strlen(*words) == n && !memcmp(s, *words, n))
			return 1;
	return 0;
}

static const char *const nulls[] = {"~", "null", "Null", "NULL", NULL};
static const char *const trues[] = {"true", "True", "TRUE", NULL};
static const char *const falses[] = {"false", "False", "FALSE", NULL};
static const char *const specials[] = {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF",
	"-.inf", "-.Inf", "-.INF", ".nan", ".NaN", ".NAN", NULL};
/* YAML 1.1 booleans: quoted on output so older readers keep them strings. */
static const char *const yaml11[] = {"y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO",
	"on", "On", "ON", "off", "Off", "OFF", NULL};

static int
all_in(const char *s, size_t n, const char *set)
{
	if (!n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!strchr(set, s[i]) || !s[i])
			return 0;
	return 1;
}

/* 1 int, 2 float, 0 neither (syntax only). */
static int
number_kind(const char *s, size_t n)
{
	size_t i = 0, d1 = 0, d2 = 0;

	if (n > 2 && s[0] == '0' && s[1] == 'o' && all_in(s + 2, n - 2, "01234567"))
		return 1;
	if (n > 2 && s[0] == '0' && s[1] == 'x' && all_in(s + 2, n - 2, "0123456789abcdefABCDEF"))
		return 1;
	if (i < n && (s[i] == '-' || s[i] == '+'))
		i++;
	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++, d1++;
	if (i == n)
		return d1 ? 1 : 0;
	if (s[i] == '.') {
		i++;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++, d2++;
	}
	if (!d1 && !d2)
		return 0;
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		size_t d3 = 0;
		i++;
		if (i < n && (s[i] == '-' || s[i] == '+'))
			i++;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++, d3++;
		if (!d3)
			return 0;
	}
	return i == n ? 2 : 0;
}

int
sp_yaml_plain_is_special(const char *s, size_t n)
{
	return n == 0 || match(s, n, nulls) || match(s, n, trues) || match(s, n, falses) ||
	    match(s, n, specials) || match(s, n, yaml11) || number_kind(s, n) != 0;
}

/* Value of an integer text, or NULL with why set. */
static json_t *
parse_int(const char *s, const char **why)
{
	unsigned long long u;
	long long v;
	char *end;
	int neg = 0;

	errno = 0;
	if (s[0] == '0' && (s[1] == 'o' || s[1] == 'x')) {
		u = strtoull(s + 2, &end, s[1] == 'o' ? 8 : 16);
		if (errno || *end || u > (unsigned long long)LLONG_MAX) {
			*why = "integer out of range";
			return NULL;
		}
		return json_integer((json_int_t)u);
	}
	if (*s == '+')
		s++;
	else if (*s == '-')
		neg = 1;
	v = strtoll(s, &end, 10);
	if (errno == ERANGE || *end) {
		*why = "integer out of range";
		return NULL;
	}
	(void)neg;
	return json_integer((json_int_t)v);
}

static json_t *
parse_float(const char *s, const char **why)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(s, &end);
	if (*end || isinf(d) || isnan(d)) {
		*why = "float out of range";
		return NULL;
	}
	return json_real(d);
}

/* The JSON value of a scalar, or NULL with why set. */
static json_t *
scalar(const yaml_event_t *ev, const char **why)
{
	const char *s = (const char *)ev->data.scalar.value;
	size_t n = ev->data.scalar.length;
	const char *tag = (const char *)ev->data.scalar.tag;
	int k;

	if (memchr(s, '\0', n)) {
		*why = "NUL character in a string";
		return NULL;
	}
	if (tag && strcmp(tag, "!")) {
		if (!strcmp(tag, YAML_STR_TAG))
			return json_stringn(s, n);
		if (!strcmp(tag, YAML_NULL_TAG) && (n == 0 || match(s, n, nulls)))
			return json_null();
		if (!strcmp(tag, YAML_BOOL_TAG) && match(s, n, trues))
			return json_true();
		if (!strcmp(tag, YAML_BOOL_TAG) && match(s, n, falses))
			return json_false();
		if (!strcmp(tag, YAML_INT_TAG) && number_kind(s, n) == 1)
			return parse_int(s, why);
		if (!strcmp(tag, YAML_FLOAT_TAG) && number_kind(s, n))
			return parse_float(s, why);
		if (!strcmp(tag, YAML_NULL_TAG) || !strcmp(tag, YAML_BOOL_TAG) ||
		    !strcmp(tag, YAML_INT_TAG) || !strcmp(tag, YAML_FLOAT_TAG))
			*why = "value does not match its tag";
		else
			*why = "unsupported tag";
		return NULL;
	}
	if (tag || ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return json_stringn(s, n);
	if (n == 0 || match(s, n, nulls))
		return json_null();
	if (match(s, n, trues))
		return json_true();
	if (match(s, n, falses))
		return json_false();
	if (match(s, n, specials)) {
		*why = ".inf and .nan cannot be represented in JSON";
		return NULL;
	}
	k = number_kind(s, n);
	if (k == 1)
		return parse_int(s, why);
	if (k == 2)
		return parse_float(s, why);
	return json_stringn(s, n);
}

static int
tag_ok(const yaml_char_t *tag, const char *want)
{
	return !tag || !strcmp((const char *)tag, "!") || !strcmp((const char *)tag, want);
}

static json_t *node(struct ld *L, yaml_event_t *ev, int depth);

/* The text of a mapping key event (consumed), malloc'd, or NULL. */
static char *
key_text(struct ld *L, yaml_event_t *ev, int depth)
{
	json_t *k;
	char *s = NULL;

	if (ev->type == YAML_SCALAR_EVENT) {
		if (memchr(ev->data.scalar.value, '\0', ev->data.scalar.length)) {
			fail(L, &ev->start_mark, "NUL character in a key");
			yaml_event_delete(ev);
			return NULL;
		}
		s = sp_malloc(ev->data.scalar.length + 1);
		memcpy(s, ev->data.scalar.value, ev->data.scalar.length);
		s[ev->data.scalar.length] = '\0';
		yaml_event_delete(ev);
		return s;
	}
	k = node(L, ev, depth);	/* consumes ev */
	if (!k)
		return NULL;
	if (json_is_string(k))
		s = sp_strdup(json_string_value(k));
	else if (json_is_integer(k))
		s = sp_asprintf("%" JSON_INTEGER_FORMAT, json_integer_value(k));
	json_decref(k);
	return s;
}

/* Record where the value of key (at depth, below the keys in kstack) is:
 * top-level keys by name, nested ones as "a\x1fb[\x1fc]". */
static void
set_mark(struct ld *L, int depth, const char *key, const yaml_mark_t *m)
{
	char name[1024];
	size_t n = 0;

	for (int i = 0; i < depth - 1; i++) {
		if (!L->kstack[i])
			return;	/* below a sequence */
		n += (size_t)snprintf(name + n, n < sizeof name ? sizeof name - n : 0, "%s\x1f", L->kstack[i]);
	}
	if (n + strlen(key) + 1 > sizeof name)
		return;
	memcpy(name + n, key, strlen(key) + 1);
	json_object_set_new(L->marks, name, json_pack("[I,I]", (json_int_t)(L->line0 + m->line + 1),
	    (json_int_t)m->column + 1));
}

static json_t *
mapping(struct ld *L, int depth, const yaml_mark_t *start)
{
	json_t *obj = json_object();
	yaml_event_t ev;

	for (;;) {
		yaml_mark_t km;
		char *key;
		json_t *v;

		if (next(L, &ev))
			goto bad;
		if (ev.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&ev);
			return obj;
		}
		km = ev.start_mark;
		if (ev.type == YAML_MAPPING_START_EVENT || ev.type == YAML_SEQUENCE_START_EVENT) {
			fail(L, &km, "a mapping key must be a scalar");
			yaml_event_delete(&ev);
			goto bad;
		}
		if (!(key = key_text(L, &ev, depth))) {
			fail(L, &km, "a mapping key must be a scalar");
			goto bad;
		}
		if (json_object_get(obj, key)) {
			fail(L, &km, "duplicate key \"%s\"", key);
			free(key);
			goto bad;
		}
		if (next(L, &ev)) {
			free(key);
			goto bad;
		}
		if (depth <= 3 && L->marks)
			set_mark(L, depth, key, &ev.start_mark);
		if (depth <= 3)
			L->kstack[depth - 1] = key;
		v = node(L, &ev, depth);
		if (depth <= 3)
			L->kstack[depth - 1] = NULL;
		if (!v) {
			free(key);
			goto bad;
		}
		json_object_set_new(obj, key, v);
		free(key);
	}
bad:
	(void)start;
	json_decref(obj);
	return NULL;
}

static json_t *
sequence(struct ld *L, int depth)
{
	json_t *arr = json_array();
	yaml_event_t ev;

	for (;;) {
		json_t *v;

		if (next(L, &ev))
			break;
		if (ev.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&ev);
			return arr;
		}
		if (!(v = node(L, &ev, depth)))
			break;
		json_array_append_new(arr, v);
	}
	json_decref(arr);
	return NULL;
}

/* Build the value that starts with ev (consumed). */
static json_t *
node(struct ld *L, yaml_event_t *ev, int depth)
{
	const char *why = NULL;
	yaml_mark_t m = ev->start_mark;
	unsigned long before = L->nodes;
	char *anchor = NULL;
	json_t *v = NULL;

	if (depth >= MAX_DEPTH) {
		fail(L, &m, "nesting deeper than %d levels", MAX_DEPTH);
		yaml_event_delete(ev);
		return NULL;
	}
	if (++L->nodes > MAX_NODES) {
		fail(L, &m, "document too large (more than %d values after expanding aliases)", MAX_NODES);
		yaml_event_delete(ev);
		return NULL;
	}
	switch (ev->type) {
	case YAML_ALIAS_EVENT: {
		json_t *a = json_object_get(L->anchors, (const char *)ev->data.alias.anchor);
		if (!a) {
			fail(L, &m, "undefined alias \"%s\"", ev->data.alias.anchor);
			break;
		}
		L->nodes += (unsigned long)json_integer_value(json_array_get(a, 1));
		if (L->nodes > MAX_NODES) {
			fail(L, &m, "document too large (more than %d values after expanding aliases)", MAX_NODES);
			break;
		}
		v = json_incref(json_array_get(a, 0));
		break;
	}
	case YAML_SCALAR_EVENT:
		if (ev->data.scalar.anchor)
			anchor = sp_strdup((const char *)ev->data.scalar.anchor);
		if (!(v = scalar(ev, &why)))
			fail(L, &m, "%s", why);
		break;
	case YAML_SEQUENCE_START_EVENT:
		if (ev->data.sequence_start.anchor)
			anchor = sp_strdup((const char *)ev->data.sequence_start.anchor);
		if (!tag_ok(ev->data.sequence_start.tag, YAML_SEQ_TAG))
			fail(L, &m, "unsupported tag");
		else
			v = sequence(L, depth + 1);
		break;
	case YAML_MAPPING_START_EVENT:
		if (ev->data.mapping_start.anchor)
			anchor = sp_strdup((const char *)ev->data.mapping_start.anchor);
		if (!tag_ok(ev->data.mapping_start.tag, YAML_MAP_TAG))
			fail(L, &m, "unsupported tag");
		else
			v = mapping(L, depth + 1, &m);
		break;
	default:
		fail(L, &m, "unexpected YAML event");
		break;
	}
	yaml_event_delete(ev);
	if (v && anchor)
		json_object_set_new(L->anchors, anchor, json_pack("[O,I]", v,
		    (json_int_t)(L->nodes - before)));
	free(anchor);
	return v;
}

json_t *
sp_yaml_load(const char *buf, size_t n, unsigned long line0, json_t **marks,
    char *err, size_t errlen)
{
	struct ld L = {.line0 = line0, .err = err, .errlen = errlen};
	yaml_event_t ev;
	json_t *v = NULL;
	int done = 0;

	if (marks)
		*marks = L.marks = json_object();
	if (!yaml_parser_initialize(&L.p)) {
		snprintf(err, errlen, "%lu:1: cannot initialise the YAML parser", line0 + 1);
		return NULL;
	}
	/* libyaml skips a BOM but counts it as a column, so the keys after
	 * it look indented: drop it here */
	if (n >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3))
		buf += 3, n -= 3;
	yaml_parser_set_input_string(&L.p, (const unsigned char *)buf, n);
	yaml_parser_set_encoding(&L.p, YAML_UTF8_ENCODING);
	L.anchors = json_object();
	while (!done && !next(&L, &ev)) {
		switch (ev.type) {
		case YAML_STREAM_START_EVENT:
		case YAML_DOCUMENT_END_EVENT:
			yaml_event_delete(&ev);
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (v) {
				fail(&L, &ev.start_mark, "more than one YAML document");
				done = 1;
			}
			yaml_event_delete(&ev);
			if (!done && !next(&L, &ev)) {
				if (ev.type == YAML_DOCUMENT_END_EVENT) {	/* cannot happen */
					yaml_event_delete(&ev);
					v = json_null();
				} else if (!(v = node(&L, &ev, 0)))
					done = 1;
			}
			break;
		case YAML_STREAM_END_EVENT:
			yaml_event_delete(&ev);
			done = 2;
			break;
		default:
			fail(&L, &ev.start_mark, "unexpected YAML event");
			yaml_event_delete(&ev);
			done = 1;
		}
		if (L.failed)
			break;
	}
	yaml_parser_delete(&L.p);
	json_decref(L.anchors);
	if (L.failed || done != 2) {
		if (!L.failed)
			snprintf(err, errlen, "%lu:1: invalid YAML", line0 + 1);
		json_decref(v);
		if (marks) {
			json_decref(L.marks);
			*marks = NULL;
		}
		return NULL;
	}
	if (!v)
		v = json_null();
	if (marks && !json_is_object(v))
		json_object_clear(L.marks);
	return v;
}

struct sp_yaml_mark
sp_yaml_mark_of(json_t *marks, const char *key)
{
	json_t *m = json_object_get(marks, key);
	struct sp_yaml_mark r = {0, 0};

	if (json_is_array(m)) {
		r.line = (unsigned long)json_integer_value(json_array_get(m, 0));
		r.column = (unsigned long)json_integer_value(json_array_get(m, 1));
	}
	return r;
}

struct sp_yaml_mark
sp_yaml_mark_in(json_t *marks, const char *k1, const char *k2, const char *k3)
{
	char name[1024];

	if (!k2)
		return sp_yaml_mark_of(marks, k1);
	if (k3)
		snprintf(name, sizeof name, "%s\x1f%s\x1f%s", k1, k2, k3);
	else
		snprintf(name, sizeof name, "%s\x1f%s", k1, k2);
	return sp_yaml_mark_of(marks, name);
}

/* ---- output ---- */

struct outbuf {
	char *p;
	size_t n, cap;
};

static int
write_out(void *data, unsigned char *buf, size_t size)
{
	struct outbuf *o = data;

	if (o->n + size + 1 > o->cap) {
		while (o->n + size + 1 > o->cap)
			o->cap = o->cap ? 2 * o->cap : 4096;
		o->p = sp_realloc(o->p, o->cap);
	}
	memcpy(o->p + o->n, buf, size);
	o->n += size;
	return 1;
}

static int
emit(yaml_emitter_t *e, yaml_event_t *ev)
{
	return yaml_emitter_emit(e, ev) ? 0 : -1;
}

static int
emit_plain(yaml_emitter_t *e, const char *s)
{
	yaml_event_t ev;

	yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)strlen(s), 1, 1,
	    YAML_PLAIN_SCALAR_STYLE);
	return emit(e, &ev);
}

static int
emit_string(yaml_emitter_t *e, const char *s, size_t n)
{
	yaml_scalar_style_t style = YAML_PLAIN_SCALAR_STYLE;
	yaml_event_t ev;
	int plain = 1;

	if (memchr(s, '\n', n))
		style = YAML_LITERAL_SCALAR_STYLE;
	else if (sp_yaml_plain_is_special(s, n)) {
		style = YAML_DOUBLE_QUOTED_SCALAR_STYLE;
		plain = 0;
	}
	yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)n, plain, 1, style);
	return emit(e, &ev);
}

/* Shortest "%.Ng" that reads back as d, always with a "." or exponent. */
static void
fmt_real(double d, char *buf, size_t len)
{
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(buf, len, "%.*g", prec, d);
		if (strtod(buf, NULL) == d)
			break;
	}
	if (!strpbrk(buf, ".eE")) {
		size_t k = strlen(buf);
		snprintf(buf + k, len - k, ".0");
	}
}

static int
cmpstr(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int
emit_value(yaml_emitter_t *e, json_t *v, int top)
{
	yaml_event_t ev;
	char buf[64];
	size_t i;

	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		size_t n = json_object_size(v), k = 0;
		const char **keys = sp_calloc(n + 1, sizeof *keys);
		const char *key;
		json_t *x;
		int rc = 0;

		json_object_foreach(v, key, x)
			keys[k++] = key;
		if (!top)
			qsort(keys, n, sizeof *keys, cmpstr);
		yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
		    n ? YAML_BLOCK_MAPPING_STYLE : YAML_FLOW_MAPPING_STYLE);
		rc = emit(e, &ev);
		for (i = 0; !rc && i < n; i++) {
			rc = emit_string(e, keys[i], strlen(keys[i]));
			if (!rc)
				rc = emit_value(e, json_object_get(v, keys[i]), 0);
		}
		free(keys);
		if (rc)
			return rc;
		yaml_mapping_end_event_initialize(&ev);
		return emit(e, &ev);
	}
	case JSON_ARRAY:
		yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
		    json_array_size(v) ? YAML_BLOCK_SEQUENCE_STYLE : YAML_FLOW_SEQUENCE_STYLE);
		if (emit(e, &ev))
			return -1;
		for (i = 0; i < json_array_size(v); i++)
			if (emit_value(e, json_array_get(v, i), 0))
				return -1;
		yaml_sequence_end_event_initialize(&ev);
		return emit(e, &ev);
	case JSON_STRING:
		return emit_string(e, json_string_value(v), json_string_length(v));
	case JSON_INTEGER:
		snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return emit_plain(e, buf);
	case JSON_REAL:
		fmt_real(json_real_value(v), buf, sizeof buf);
		return emit_plain(e, buf);
	case JSON_TRUE:
		return emit_plain(e, "true");
	case JSON_FALSE:
		return emit_plain(e, "false");
	default:
		return emit_plain(e, "null");
	}
}

char *
sp_yaml_dump(json_t *v, int sort_top, size_t *len, char *err, size_t errlen)
{
	struct outbuf o = {0};
	yaml_emitter_t e;
	yaml_event_t ev;
	int rc;

	if (!json_is_object(v)) {
		snprintf(err, errlen, "not a mapping");
		return NULL;
	}
	if (!yaml_emitter_initialize(&e)) {
		snprintf(err, errlen, "cannot initialise the YAML emitter");
		return NULL;
	}
	yaml_emitter_set_output(&e, write_out, &o);
	yaml_emitter_set_unicode(&e, 1);
	yaml_emitter_set_width(&e, -1);
	yaml_emitter_set_indent(&e, 2);
	yaml_emitter_set_break(&e, YAML_LN_BREAK);
	yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
	rc = emit(&e, &ev);
	if (!rc) {
		yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
		rc = emit(&e, &ev);
	}
	if (!rc)
		rc = emit_value(&e, v, !sort_top);
	if (!rc) {
		yaml_document_end_event_initialize(&ev, 1);
		rc = emit(&e, &ev);
	}
	if (!rc) {
		yaml_stream_end_event_initialize(&ev);
		rc = emit(&e, &ev);
	}
	if (rc) {
		snprintf(err, errlen, "YAML emitter: %s", e.problem ? e.problem : "failed");
		yaml_emitter_delete(&e);
		free(o.p);
		return NULL;
	}
	yaml_emitter_delete(&e);
	if (!o.p)
		o.p = sp_malloc(1);
	o.p[o.n] = '\0';
	*len = o.n;
	return o.p;
}
