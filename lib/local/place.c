/* place.c - where sp-write puts a row on disk. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "core/path.h"
#include "local/place.h"
#include "local/skills.h"

void
sp_place_init(struct sp_place *pl, const char *dir, const struct sp_sources *src)
{
	pl->dir = dir;
	pl->src = src;
	pl->index = NULL;	/* scanned on first use */
	pl->placed = json_object();
	pl->layout = json_object();
}

void
sp_place_free(struct sp_place *pl)
{
	json_decref(pl->index);
	json_decref(pl->placed);
	json_decref(pl->layout);
	pl->index = pl->placed = pl->layout = NULL;
}

static char *
page_key(json_t *data)
{
	return sp_asprintf("%s/%s", json_string_value(json_object_get(data, "source_id")),
	    json_string_value(json_object_get(data, "slug")));
}

static void
index_page(json_t *rec, void *arg)
{
	struct sp_place *pl = arg;
	json_t *d = json_object_get(rec, "data");
	const char *sid = json_string_value(json_object_get(d, "source_id"));
	const char *slug = json_string_value(json_object_get(d, "slug"));
	const char *p = json_string_value(json_object_get(rec, "path")), *base;
	char *key = page_key(d);
	json_t *counts;

	json_object_set(pl->index, key, json_object_get(rec, "path"));
	free(key);
	if (sid && slug && *slug && p) {
		/* SLUG/index.md or SLUG.md: which layout the source uses */
		int dirs = (base = strrchr(p, '/')) && !strcmp(base + 1, "index.md");
		if (!(counts = json_object_get(pl->layout, sid)))
			json_object_set_new(pl->layout, sid, counts = json_pack("[i,i]", 0, 0));
		json_array_set_new(counts, (size_t)dirs,
		    json_integer(json_integer_value(json_array_get(counts, (size_t)dirs)) + 1));
	}
	json_decref(rec);
}

static void
index_skill(json_t *rec, void *arg)
{
	struct sp_place *pl = arg;
	json_t *d = json_object_get(rec, "data");
	const char *id = json_string_value(json_object_get(d, "skill_id"));
	const char *fp = json_string_value(json_object_get(d, "file_path"));

	if (id && fp && strchr(fp, '/'))
		json_object_set_new(pl->index, id, json_string(fp));
	json_decref(rec);
}

static int
index_bad(int code, const char *msg, void *arg)
{
	(void)code, (void)msg, (void)arg;
	return 0;	/* unreadable pages and skills simply are not found */
}

/* Fill the index on first use: scan dir, row() each record. */
static void
scan_once(struct sp_place *pl, int pages, void (*row)(json_t *, void *))
{
	struct sp_scan_cb cb = {row, index_bad, pl, NULL};
	char e[512];

	if (pl->index)
		return;
	pl->index = json_object();
	if (access(pl->dir, F_OK) != 0)
		return;
	if (pages)
		sp_content_scan_in(pl->dir, pl->src ? pl->src->root : NULL, &cb, e, sizeof e);
	else
		sp_skills_scan(pl->dir, &cb, e, sizeof e);
}

/* The layout of new pages of the row's source: 1 for SLUG/index.md. */
static int
layout_dirs(const struct sp_place *pl, json_t *data)
{
	const char *sid = json_string_value(json_object_get(data, "source_id"));
	json_t *c = sid ? json_object_get(pl->layout, sid) : NULL;
	const struct sp_src *src = sid && pl->src ? sp_content_source(pl->src, sid) : NULL;

	if (c)
		return json_integer_value(json_array_get(c, 1)) > json_integer_value(json_array_get(c, 0));
	return !strcmp(src ? src->name : sid ? sid : "", "blog");
}

/* A usable page path: clean, relative, below a source directory, *.md. */
static int
page_path_ok(const char *p)
{
	size_t n;

	return p && !sp_path_unsafe(p, 1) && (n = strlen(p)) > 3 && !strcmp(p + n - 3, ".md") &&
	    strchr(p, '/');
}

/* True when p lies in the directory of the row's source, as far as dir
 * knows its sources (a source it does not know yet, say in a new tree,
 * takes the path as it comes). */
static int
in_source(const struct sp_place *pl, json_t *data, const char *p)
{
	const char *sid = json_string_value(json_object_get(data, "source_id"));
	const struct sp_src *src = sid && pl->src ? sp_content_source(pl->src, sid) : NULL;
	size_t n;

	if (!src)
		return 1;
	n = strlen(src->path);
	return !strncmp(p, src->path, n) && p[n] == '/';
}

char *
sp_place_page(struct sp_place *pl, json_t *rec, json_t *data, int remove, char **old,
    char *err, size_t errlen)
{
	const char *p = json_string_value(json_object_get(rec, "path"));
	const char *fp = json_string_value(json_object_get(data, "file_path"));
	char *key;
	json_t *hit;

	*old = NULL;
	err[0] = '\0';
	scan_once(pl, 1, index_page);
	key = page_key(data);
	hit = json_object_get(pl->index, key);
	free(key);
	if (remove)
		return json_is_string(hit) ? sp_strdup(json_string_value(hit)) : NULL;
	if (page_path_ok(fp) && in_source(pl, data, fp)) {
		if (json_is_string(hit) && strcmp(json_string_value(hit), fp) &&
		    !json_object_get(pl->placed, json_string_value(hit)))
			*old = sp_strdup(json_string_value(hit));
		return sp_strdup(fp);
	}
	if (json_is_string(hit))
		return sp_strdup(json_string_value(hit));
	if (page_path_ok(p) && in_source(pl, data, p))
		return sp_strdup(p);
	return sp_content_default_rel(pl->src, data, layout_dirs(pl, data), err, errlen);
}

void
sp_place_page_done(struct sp_place *pl, json_t *data, const char *rel)
{
	char *key = page_key(data);

	if (pl->index)
		json_object_set_new(pl->index, key, json_string(rel));
	json_object_set_new(pl->placed, rel, json_true());
	free(key);
}

const char *
sp_place_skill(struct sp_place *pl, json_t *data)
{
	scan_once(pl, 0, index_skill);
	return json_string_value(json_object_get(pl->index,
	    json_string_value(json_object_get(data, "skill_id")) ?: ""));
}

void
sp_place_skill_done(struct sp_place *pl, json_t *data, const char *fp)
{
	const char *id = json_string_value(json_object_get(data, "skill_id"));

	if (pl->index && id)
		json_object_set_new(pl->index, id, json_string(fp));
}
