/* have.c - a local tree's files by content. */
#include <stdlib.h>
#include <string.h>

#include "archive/have.h"
#include "core/err.h"
#include "core/hash.h"
#include "core/path.h"
#include "rec/ndjson.h"

struct item {
	char hex[SP_HEXLEN];
	char *path;
	unsigned mode;
};

struct sp_have {
	struct item *v;		/* sorted by hash, then path */
	size_t n;
	size_t nhash;		/* distinct hashes */
	const char **hashes;
	const struct item **bypath;	/* the items sorted by path */
};

static int
item_cmp(const void *a, const void *b)
{
	const struct item *x = a, *y = b;
	int c = strcmp(x->hex, y->hex);

	return c ? c : strcmp(x->path, y->path);
}

static int
bypath_cmp(const void *a, const void *b)
{
	return strcmp((*(const struct item *const *)a)->path, (*(const struct item *const *)b)->path);
}

struct sp_have *
sp_have_read(const char *file)
{
	struct sp_reader *r = sp_reader_open(file);
	struct sp_have *h = sp_calloc(1, sizeof *h);
	size_t cap = 0;
	json_t *rec;

	while ((rec = sp_reader_next(r))) {
		const char *hex = json_string_value(json_object_get(rec, "sha256")), *why = NULL;
		const char *mode = json_string_value(json_object_get(rec, "mode"));
		char *p;

		if (strcmp(sp_record_type(rec), "file") || json_object_get(rec, "link") ||
		    json_object_get(rec, "deleted")) {
			json_decref(rec);
			continue;
		}
		if (!hex || !sp_is_sha256(hex))
			sp_reader_die(r, "a file record needs \"sha256\": 64 lowercase hex digits");
		if (!(p = sp_record_path(rec, &why)) || (why = sp_path_unsafe(p, 0)))
			sp_reader_die(r, "%s", why);
		if (h->n == cap)
			h->v = sp_realloc(h->v, (cap = cap ? 2 * cap : 256) * sizeof *h->v);
		memcpy(h->v[h->n].hex, hex, SP_HEXLEN);
		h->v[h->n].mode = mode ? (unsigned)strtoul(mode, NULL, 8) : 0644;
		h->v[h->n++].path = p;
		json_decref(rec);
	}
	sp_reader_close(r);
	if (h->n)
		qsort(h->v, h->n, sizeof *h->v, item_cmp);
	h->hashes = sp_calloc(h->n ? h->n : 1, sizeof *h->hashes);
	h->bypath = sp_calloc(h->n ? h->n : 1, sizeof *h->bypath);
	for (size_t i = 0; i < h->n; i++) {
		if (!i || strcmp(h->v[i].hex, h->v[i - 1].hex))
			h->hashes[h->nhash++] = h->v[i].hex;
		h->bypath[i] = &h->v[i];
	}
	if (h->n)
		qsort(h->bypath, h->n, sizeof *h->bypath, bypath_cmp);
	return h;
}

const char *
sp_have_at(const struct sp_have *h, const char *path, unsigned *mode)
{
	size_t lo = 0, hi = h->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(h->bypath[mid]->path, path);

		if (c == 0) {
			*mode = h->bypath[mid]->mode;
			return h->bypath[mid]->hex;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const char *
sp_have_find(const struct sp_have *h, const char *hex, const char *prefer)
{
	size_t lo = 0, hi = h->n, i;

	while (lo < hi) {	/* the first item of hex */
		size_t mid = (lo + hi) / 2;
		if (strcmp(h->v[mid].hex, hex) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == h->n || strcmp(h->v[lo].hex, hex))
		return NULL;
	for (i = lo; prefer && i < h->n && !strcmp(h->v[i].hex, hex); i++)
		if (!strcmp(h->v[i].path, prefer))
			return h->v[i].path;
	return h->v[lo].path;
}

size_t
sp_have_count(const struct sp_have *h)
{
	return h->nhash;
}

const char *
sp_have_hash(const struct sp_have *h, size_t i)
{
	return h->hashes[i];
}

void
sp_have_free(struct sp_have *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < h->n; i++)
		free(h->v[i].path);
	free(h->v);
	free(h->hashes);
	free(h->bypath);
	free(h);
}
