/* fuzz_dbdoc - libFuzzer target for the streaming DatabaseExport reader
 * (sp_docr_feed): no crash, no leak; every record it hands out is a row
 * record of a known table whose data is an object; and the same input fed
 * in two pieces gives the same rows (the reader must not depend on where
 * a read ends). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "db/doc.h"

/* Feed data in pieces of step bytes; the rows as one compact string. */
static char *
rows(const uint8_t *data, size_t size, size_t step, int *ok)
{
	struct sp_docr *r = sp_docr_new(NULL, NULL);
	json_t *all = json_array(), *rec;

	/* deletions taken ("delete:T" members): each must be {"id": STRING} */
	sp_docr_allow_delete(r, 1);
	char err[512], *s;
	size_t off = 0;

	*ok = 1;
	while (off < size && *ok) {
		size_t n = size - off < step ? size - off : step;
		ssize_t k;

		rec = NULL;
		k = sp_docr_feed(r, (const char *)data + off, n, &rec, err, sizeof err);
		if (k < 0) {
			*ok = 0;
			break;
		}
		if (rec) {
			if (strcmp(json_string_value(json_object_get(rec, "type")), "row") ||
			    !json_is_object(json_object_get(rec, "data")))
				abort();
			if (sp_docr_deletion(r) && (json_object_size(json_object_get(rec, "data")) != 1 ||
			    !json_is_string(json_object_get(json_object_get(rec, "data"), "id"))))
				abort();
			json_object_set_new(rec, "deleted", json_boolean(sp_docr_deletion(r)));
			json_array_append_new(all, rec);
		}
		off += (size_t)k;
		if (k == 0 && !rec)
			break;	/* wants more than there is */
	}
	if (*ok && sp_docr_end(r, err, sizeof err) != 0)
		*ok = 0;
	sp_docr_free(r);
	s = json_dumps(all, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(all);
	return s;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int ok1, ok2;
	char *a = rows(data, size, size ? size : 1, &ok1);
	char *b = rows(data, size, 7, &ok2);

	if (ok1 != ok2 || (ok1 && strcmp(a, b)))
		abort();
	free(a);
	free(b);
	return 0;
}
