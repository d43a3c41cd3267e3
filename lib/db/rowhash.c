/* rowhash.c - content_hash: SHA-256 over the canonical synced fields. */
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/textfile.h"
#include "core/tstamp.h"
#include "db/rowhash.h"

static const char *const skills_synced[] = {
	"skill_id", "name", "description", "instructions", "enabled", "tags",
	"category_id", "file_path", "metadata", NULL,
};

static const char *const content_synced[] = {
	"source_id", "slug", "title", "description", "author", "kind", "public", "tags",
	"keywords", "image", "category_id", "published_at", "body", "metadata", "file_path", NULL,
};

const char *const *
sp_row_synced(const char *table)
{
	if (!strcmp(table, "agent_skills"))
		return skills_synced;
	if (!strcmp(table, "content"))
		return content_synced;
	return NULL;
}

static json_t *
canon_field(const char *f, json_t *v)
{
	if (!v || json_is_null(v)) {
		if (!strcmp(f, "tags"))
			return json_array();
		if (!strcmp(f, "metadata"))
			return json_object();
		if (!strcmp(f, "body") || !strcmp(f, "instructions"))
			return json_string("");
		return json_null();
	}
	if (json_is_string(v) && (!strcmp(f, "body") || !strcmp(f, "instructions")) &&
	    memchr(json_string_value(v), '\r', json_string_length(v))) {
		size_t n;
		char *s = sp_crlf_to_lf(json_string_value(v), json_string_length(v), &n);
		json_t *r = json_stringn_nocheck(s, n);
		free(s);
		return r;
	}
	if (json_is_string(v) && !strcmp(f, "published_at")) {
		char ts[SP_TSTAMP_LEN];
		if (!sp_tstamp_norm(json_string_value(v), ts))
			return json_string(ts);
	}
	return json_incref(v);
}

json_t *
sp_row_canonical(const char *table, json_t *data)
{
	const char *const *f = sp_row_synced(table);
	json_t *o;

	if (!f)
		return json_deep_copy(data);
	o = json_object();
	for (; *f; f++)
		json_object_set_new(o, *f, canon_field(*f, json_object_get(data, *f)));
	return o;
}

static int
feed(const char *buf, size_t size, void *h)
{
	sp_sha256_update(h, buf, size);
	return 0;
}

void
sp_rowhash(const char *table, json_t *data, char hex[SP_HEXLEN])
{
	json_t *c = sp_row_canonical(table, data);
	sp_sha256 h;

	/* stream the canonical JSON straight into the digest */
	sp_sha256_init(&h);
	if (json_dump_callback(c, feed, &h, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY))
		sp_die(SP_EX_SOFTWARE, "cannot serialise a row for hashing");
	sp_sha256_final(&h, hex);
	json_decref(c);
}
