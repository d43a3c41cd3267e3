/* reckey.c - the join key and comparison hash of a record. */
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/glob.h"
#include "core/path.h"
#include "db/rowhash.h"
#include "diff/reckey.h"

int
sp_record_keyhash(json_t *rec, char **key, size_t *keylen, char hex[SP_HEXLEN], const char **why)
{
	const char *type = json_string_value(json_object_get(rec, "type"));

	if (!strcmp(type, "file")) {
		const char *h = json_string_value(json_object_get(rec, "sha256"));
		char *p;

		/* upstream's manifests call the SHA-256 of a file "checksum" */
		if (!json_object_get(rec, "sha256"))
			h = json_string_value(json_object_get(rec, "checksum"));
		if (!h || !sp_is_sha256(h)) {
			*why = "file record without a valid \"sha256\" (or upstream's \"checksum\"; run sp-manifest first)";
			return -1;
		}
		if (!(p = sp_record_path(rec, why)))
			return -1;
		memcpy(hex, h, SP_HEXLEN);
		*key = p;
		*keylen = strlen(p);
		return 1;
	}
	if (!strcmp(type, "row")) {
		const char *t = json_string_value(json_object_get(rec, "table"));
		json_t *data = json_object_get(rec, "data");
		const char *id = json_string_value(json_object_get(data, "id"));

		if (!t || !*t || !json_is_object(data)) {
			*why = "row record without \"table\" and a \"data\" object";
			return -1;
		}
		if (!id || !*id) {
			*why = "row record without a string \"id\" in its data";
			return -1;
		}
		*key = sp_asprintf("%s/%s", t, id);
		*keylen = strlen(*key);
		sp_rowhash(t, data, hex);
		return 1;
	}
	return 0;
}

static int
m(const char *glob, const char *s)
{
	return s && sp_glob_match(glob, s);
}

int
sp_record_matches(json_t *rec, const char *glob)
{
	const char *type = json_string_value(json_object_get(rec, "type"));
	json_t *d = json_object_get(rec, "data");
	const char *src, *slug;
	int r = 0;

	if (!strcmp(type, "file"))
		return m(glob, json_string_value(json_object_get(rec, "path")));
	if (strcmp(type, "row"))
		return 0;
	src = json_string_value(json_object_get(d, "source_id"));
	slug = json_string_value(json_object_get(d, "slug"));
	if (m(glob, json_string_value(json_object_get(rec, "table"))) ||
	    (!strcmp(json_string_value(json_object_get(rec, "table")) ?: "", "agent_skills") &&
		m(glob, "skills")) ||
	    m(glob, json_string_value(json_object_get(d, "skill_id"))) || m(glob, src) ||
	    m(glob, json_string_value(json_object_get(d, "file_path"))))
		return 1;
	if (src && slug) {
		char *k = sp_asprintf("%s/%s", src, slug);
		r = m(glob, k);
		free(k);
	}
	return r;
}
