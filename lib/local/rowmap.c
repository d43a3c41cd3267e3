/* rowmap.c - YAML mapping (config, frontmatter) <-> row columns + metadata. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/tstamp.h"
#include "local/rowmap.h"
#include "local/yamlval.h"

json_t *
sp_col_absent(const struct sp_colspec *c, json_t *def)
{
	if (def)
		return json_incref(def);
	switch (c->type) {
	case SP_COL_BOOL:
		return json_true();
	case SP_COL_TAGS:
		return json_array();
	default:
		return json_null();
	}
}

/* A scalar as text (new reference), or NULL for a list or map. */
static json_t *
as_text(json_t *v)
{
	char buf[64];

	switch (json_typeof(v)) {
	case JSON_STRING:
		return json_incref(v);
	case JSON_INTEGER:
		snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return json_string(buf);
	case JSON_REAL: {
		/* the same text sp_yaml_dump writes */
		json_t *o = json_pack("{s:O}", "v", v);
		size_t len;
		char e[64], *y = sp_yaml_dump(o, 0, &len, e, sizeof e), *s;
		json_t *r;

		json_decref(o);
		if (!y)
			return NULL;
		s = y + 3;	/* "v: " */
		s[strcspn(s, "\n")] = '\0';
		r = json_string(s);
		free(y);
		return r;
	}
	case JSON_TRUE:
		return json_string("true");
	case JSON_FALSE:
		return json_string("false");
	default:
		return NULL;
	}
}

static json_t *
convert(const struct sp_colspec *c, json_t *v, const char **why)
{
	char ts[SP_TSTAMP_LEN];
	json_t *r;
	size_t i;

	if (json_is_null(v) && c->type == SP_COL_BOOL) {
		*why = "expected true or false";	/* the columns are NOT NULL */
		return NULL;
	}
	if (json_is_null(v))
		return c->type == SP_COL_TAGS ? json_array() : json_null();
	switch (c->type) {
	case SP_COL_TEXT:
		if (!(r = as_text(v)))
			*why = "expected a string, not a list or mapping";
		return r;
	case SP_COL_BOOL:
		if (!json_is_boolean(v)) {
			*why = "expected true or false";
			return NULL;
		}
		return json_incref(v);
	case SP_COL_TIME:
		if (!json_is_string(v) || sp_tstamp_norm(json_string_value(v), ts)) {
			*why = "expected a date (YYYY-MM-DD) or an RFC 3339 date-time";
			return NULL;
		}
		return json_string(ts);
	case SP_COL_TAGS:
		if (!json_is_array(v)) {
			*why = "expected a list";
			return NULL;
		}
		r = json_array();
		for (i = 0; i < json_array_size(v); i++) {
			json_t *t = as_text(json_array_get(v, i));
			if (!t) {
				*why = "expected a list of strings";
				json_decref(r);
				return NULL;
			}
			json_array_append_new(r, t);
		}
		return r;
	}
	return NULL;
}

int
sp_rowmap_take(const struct sp_colspec *cols, size_t n, json_t *map, json_t *marks,
    json_t *defs, json_t *data, char *err, size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		json_t *v = json_object_get(map, cols[i].key), *r;
		const char *why = "invalid value";

		if (!v) {
			json_object_set_new(data, cols[i].col,
			    sp_col_absent(&cols[i], json_object_get(defs, cols[i].col)));
			continue;
		}
		if (!(r = convert(&cols[i], v, &why))) {
			struct sp_yaml_mark m = sp_yaml_mark_of(marks, cols[i].key);
			snprintf(err, errlen, "%lu:%lu: %s: %s", m.line, m.column, cols[i].key, why);
			return -1;
		}
		json_object_set_new(data, cols[i].col, r);
		json_object_del(map, cols[i].key);
	}
	return 0;
}

static int
listed(const char *const *list, const char *s)
{
	for (; list && *list; list++)
		if (!strcmp(*list, s))
			return 1;
	return 0;
}

static int
cmpstr(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

json_t *
sp_rowmap_give(const struct sp_colspec *cols, size_t n, json_t *data, json_t *defs,
    const char *const *always, const char *const *skip, char *err, size_t errlen)
{
	json_t *out = json_object(), *meta = json_object_get(data, "metadata");
	const char **keys;
	const char *key;
	json_t *v;
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		json_t *absent = sp_col_absent(&cols[i], json_object_get(defs, cols[i].col));
		int same;

		v = json_object_get(data, cols[i].col);
		if (!v)
			v = json_null();
		/* a boolean left null (a row made by hand) reads back as absent */
		same = json_equal(v, absent) || (json_is_null(v) && json_is_null(absent)) ||
		    (cols[i].type == SP_COL_BOOL && json_is_null(v)) ||
		    (cols[i].type == SP_COL_TAGS && json_is_null(v) && json_is_array(absent) &&
			!json_array_size(absent));
		json_decref(absent);
		if (same && !listed(always, cols[i].key))
			continue;
		if (cols[i].type == SP_COL_TIME && json_is_string(v)) {
			char ts[SP_TSTAMP_LEN], sh[SP_TSTAMP_LEN];
			if (sp_tstamp_norm(json_string_value(v), ts)) {
				snprintf(err, errlen, "%s: not a valid timestamp", cols[i].col);
				goto bad;
			}
			sp_tstamp_short(ts, sh);
			json_object_set_new(out, cols[i].key, json_string(sh));
		} else if (cols[i].type == SP_COL_TAGS && json_is_null(v)) {
			json_object_set_new(out, cols[i].key, json_array());
		} else {
			json_object_set(out, cols[i].key, v);
		}
	}
	if (meta && !json_is_null(meta) && !json_is_object(meta)) {
		snprintf(err, errlen, "metadata: not a JSON object");
		goto bad;
	}
	keys = sp_calloc(json_object_size(meta) + 1, sizeof *keys);
	json_object_foreach(meta, key, v)
		keys[k++] = key;
	qsort(keys, k, sizeof *keys, cmpstr);
	for (i = 0; i < k; i++) {
		if (listed(skip, keys[i]))
			continue;
		for (size_t j = 0; j < n; j++) {
			if (!strcmp(cols[j].key, keys[i])) {
				snprintf(err, errlen, "metadata key \"%s\" is also a column field", keys[i]);
				free(keys);
				goto bad;
			}
		}
		json_object_set(out, keys[i], json_object_get(meta, keys[i]));
	}
	free(keys);
	return out;
bad:
	json_decref(out);
	return NULL;
}
