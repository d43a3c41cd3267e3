/* content.c - markdown pages with YAML frontmatter <-> content rows. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "core/path.h"
#include "core/textfile.h"
#include "core/uuid.h"
#include "db/rowhash.h"
#include "local/content.h"
#include "local/frontmatter.h"
#include "local/rowmap.h"
#include "local/yamlval.h"

static const struct sp_colspec cols[] = {
	{"title", "title", SP_COL_TEXT},
	{"slug", "slug", SP_COL_TEXT},
	{"description", "description", SP_COL_TEXT},
	{"author", "author", SP_COL_TEXT},
	{"kind", "kind", SP_COL_TEXT},
	{"public", "public", SP_COL_BOOL},
	{"category", "category_id", SP_COL_TEXT},
	{"tags", "tags", SP_COL_TAGS},
	{"keywords", "keywords", SP_COL_TEXT},
	{"image", "image", SP_COL_TEXT},
	{"published_at", "published_at", SP_COL_TIME},
};
#define NCOLS (sizeof cols / sizeof cols[0])

static void
say(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

void
sp_content_sources_free(struct sp_sources *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->v[i].name);
		free(s->v[i].path);
		free(s->v[i].source_id);
		free(s->v[i].where);
		free(s->v[i].note);
		json_decref(s->v[i].category);
		json_decref(s->v[i].allowed);
		json_decref(s->v[i].conf);
	}
	free(s->v);
	free(s->root);
	memset(s, 0, sizeof *s);
}

static struct sp_src *
add_src(struct sp_sources *s, const char *name)
{
	struct sp_src *v;

	s->v = sp_realloc(s->v, (s->n + 1) * sizeof *s->v);
	v = &s->v[s->n++];
	memset(v, 0, sizeof *v);
	v->name = sp_strdup(name);
	v->enabled = 1;
	v->category = json_null();
	return v;
}

/* p made absolute (against the working directory) and normalised
 * lexically: no ".", "..", empty components or trailing "/" (malloc'd). */
static char *
abs_lexical(const char *p)
{
	char cwd[4096], *in, *out, *tok, *save;
	size_t n = 0;

	if (*p == '/' || !getcwd(cwd, sizeof cwd))
		cwd[0] = '\0';
	in = sp_asprintf("%s/%s", cwd, p);
	out = sp_malloc(strlen(in) + 2);
	out[0] = '\0';
	for (tok = strtok_r(in, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
		if (!strcmp(tok, "."))
			continue;
		if (!strcmp(tok, "..")) {
			while (n > 0 && out[--n] != '/')
				;
			out[n] = '\0';
			continue;
		}
		out[n++] = '/';
		n = (size_t)(stpcpy(out + n, tok) - out);
	}
	if (!n)
		strcpy(out, "/");
	free(in);
	return out;
}

/* The part of p below directory d ("" for d itself), or NULL. */
static const char *
below(const char *p, const char *d)
{
	size_t n = strlen(d);

	if (!strcmp(d, "/"))
		return p + 1;
	if (strncmp(p, d, n))
		return NULL;
	return p[n] == '/' ? p + n + 1 : p[n] ? NULL : p + n;
}

static int
isdir(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Set src->path (relative to the content directory dir) from the
 * configured path p as upstream reads it: relative to the services root,
 * or absolute inside it. Returns NULL or why it cannot be used. */
static const char *
resolve_path(struct sp_src *src, const char *p, const char *dir, const char *root)
{
	static char why[1024];
	char *adir = abs_lexical(dir), *aroot = abs_lexical(root), *a, *b = NULL;
	const char *rel, *bad = NULL;

	if (*p == '/') {
		if (p[1] && (bad = sp_path_unsafe(p + 1, 1)))
			goto out;
		a = sp_strdup(p);
	} else {
		if ((bad = sp_path_unsafe(p, 1)))
			goto out;
		a = sp_path_join(aroot, p);
	}
	if ((rel = below(a, adir)) && *rel) {
		src->path = sp_strdup(rel);
	} else if (*p == '/' || (rel && !*rel)) {
		snprintf(why, sizeof why, "\"%s\" is %s; a source's directory must be below the content directory %s",
		    p, rel ? "the content directory itself" : below(a, aroot) ? "outside the content directory" :
		    "outside the services tree", dir);
		bad = why;
	} else if (isdir(a) && !isdir(b = sp_path_join(adir, p))) {
		snprintf(why, sizeof why, "\"%s\" (relative to the services root %s) is outside the content directory %s",
		    p, root, dir);
		bad = why;
	} else {
		/* sp's older reading: relative to the content directory */
		src->path = sp_strdup(p);
		src->note = sp_asprintf("path \"%s\" read relative to the content directory %s; upstream reads it "
		    "relative to the services root %s (write \"%s/%s\")", p, dir, root,
		    below(adir, aroot) && *below(adir, aroot) ? below(adir, aroot) : dir, p);
	}
	free(a);
out:
	free(b);
	free(adir);
	free(aroot);
	return bad;
}

/* Fill src from its config mapping; -1 with err on a bad field. */
static int
src_from_config(struct sp_src *src, json_t *m, const char *where, json_t *marks, const char *dir,
    const char *root, char *err, size_t errlen)
{
	json_t *p = json_object_get(m, "path"), *id = json_object_get(m, "source_id");
	json_t *cat = json_object_get(m, "category_id"), *en = json_object_get(m, "enabled");
	json_t *al = json_object_get(m, "allowed_content_types"), *v;
	struct sp_yaml_mark mk = sp_yaml_mark_in(marks, "content_sources", src->name, NULL);
	const char *why = NULL, *field = NULL;
	size_t i;

	if (!json_is_object(m))
		why = "expected a mapping";
	else if (p && !json_is_string(p))
		field = "path", why = "expected a string";
	else if (id && (!json_is_string(id) || !json_string_length(id)))
		field = "source_id", why = "expected a string";
	else if (cat && !json_is_string(cat) && !json_is_null(cat))
		field = "category_id", why = "expected a string";
	else if (en && !json_is_boolean(en))
		field = "enabled", why = "expected true or false";
	else if (al && !json_is_array(al) && !json_is_null(al))
		field = "allowed_content_types", why = "expected a list of kinds";
	json_array_foreach(json_is_array(al) ? al : NULL, i, v)
		if (!why && !json_is_string(v))
			field = "allowed_content_types", why = "expected a list of kinds";
	if (!why && p) {
		src->path = NULL;
		why = resolve_path(src, json_string_value(p), dir, root);
		field = "path";
	}
	if (why) {
		if (field) {
			struct sp_yaml_mark fm = sp_yaml_mark_in(marks, "content_sources", src->name, field);
			if (fm.line)
				mk = fm;
		}
		say(err, errlen, "%s:%lu:%lu: content_sources.%s%s%s: %s", where, mk.line, mk.column,
		    src->name, field ? "." : "", field ? field : "", why);
		return -1;
	}
	if (!p)
		src->path = sp_strdup(src->name);
	src->source_id = sp_strdup(id ? json_string_value(id) : src->name);
	if (cat) {
		json_decref(src->category);
		src->category = json_incref(cat);
	}
	if (json_is_array(al))
		src->allowed = json_incref(al);
	src->conf = json_incref(m);
	{
		struct sp_yaml_mark pm = sp_yaml_mark_in(marks, "content_sources", src->name, "path");
		src->where = sp_asprintf("%s:%lu", where, pm.line ? pm.line : mk.line);
	}
	src->enabled = !en || json_is_true(en);
	return 0;
}

int
sp_content_sources(const char *dir, const char *root, struct sp_sources *s, char *err,
    size_t errlen)
{
	static const char *const names[] = {"config.yaml", "config.yml", NULL};
	json_t *doc = NULL, *marks = NULL, *cs, *m;
	char *path = NULL, *buf = NULL, ebuf[512];
	const char *key;
	size_t n;
	int rc = SP_EX_DATAERR, e = ENOENT;

	memset(s, 0, sizeof *s);
	if (root) {
		s->root = sp_strdup(root);
	} else {
		char *a = abs_lexical(dir), *slash = strrchr(a, '/');
		/* the parent of dir, spelt as dir is when it can be */
		const char *d = strrchr(dir, '/');
		if (d && d > dir && d[1])
			s->root = strndup(dir, (size_t)(d - dir));
		else if (slash && slash > a)
			s->root = strndup(a, (size_t)(slash - a));
		else
			s->root = sp_strdup("/");
		free(a);
	}
	for (int i = 0; names[i] && e == ENOENT; i++) {
		free(path);
		path = sp_path_join(dir, names[i]);
		e = sp_text_read(path, &buf, &n);
	}
	if (e && e != ENOENT) {
		say(err, errlen, "%s: %s", path, strerror(e));
		rc = sp_ex_for_errno(e);
		goto out;
	}
	if (!e) {
		if (!sp_utf8_valid(buf, n) || memchr(buf, '\0', n)) {
			say(err, errlen, "%s: not valid UTF-8 text", path);
			goto out;
		}
		if (!(doc = sp_yaml_load(buf, n, 0, &marks, ebuf, sizeof ebuf))) {
			say(err, errlen, "%s:%s", path, ebuf);
			goto out;
		}
		cs = json_object_get(doc, "content_sources");
		if (cs && !json_is_object(cs)) {
			struct sp_yaml_mark mk = sp_yaml_mark_of(marks, "content_sources");
			say(err, errlen, "%s:%lu:%lu: content_sources: expected a mapping", path,
			    mk.line, mk.column);
			goto out;
		}
		if (cs) {
			s->from_config = 1;
			json_object_foreach(cs, key, m) {
				struct sp_src *src = add_src(s, key);
				if (src_from_config(src, m, path, marks, dir, s->root, err, errlen))
					goto out;
				for (size_t j = 0; j + 1 < s->n; j++) {
					if (!strcmp(s->v[j].source_id, src->source_id)) {
						say(err, errlen, "%s: content_sources %s and %s have the same source_id \"%s\"",
						    path, s->v[j].name, src->name, src->source_id);
						goto out;
					}
				}
			}
			for (size_t j = 0; j < s->n; j++) {
				char *d = sp_path_join(dir, s->v[j].path);
				s->v[j].exists = isdir(d);
				free(d);
			}
			rc = 0;
			goto out;
		}
	}
	{
		struct sp_dirent *ents;
		size_t k;

		if ((e = sp_dir_list(dir, &ents, &k))) {
			say(err, errlen, "%s: %s", dir, strerror(e));
			rc = sp_ex_for_errno(e);
			goto out;
		}
		for (size_t i = 0; i < k; i++) {
			if (!ents[i].isdir)
				continue;
			struct sp_src *src = add_src(s, ents[i].name);
			src->path = sp_strdup(ents[i].name);
			src->source_id = sp_strdup(ents[i].name);
			src->exists = 1;
		}
		sp_dir_free(ents, k);
	}
	rc = 0;
out:
	if (rc)
		sp_content_sources_free(s);
	json_decref(doc);
	json_decref(marks);
	free(buf);
	free(path);
	return rc;
}

const struct sp_src *
sp_content_source(const struct sp_sources *s, const char *source_id)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i].source_id, source_id))
			return &s->v[i];
	return NULL;
}

int
sp_slug_ok(const char *slug)
{
	int start = 1;

	if (!*slug)
		return 1;	/* a source's index page */
	for (const char *p = slug; *p; p++) {
		unsigned char c = (unsigned char)*p;
		/* non-ASCII (the text is valid UTF-8) counts as a letter, but
		 * for C1 controls and the no-break space, U+0080-U+00A0 */
		int alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') ||
		    (c >= 0x80 && !(c == 0xc2 && (unsigned char)p[1] <= 0xa0));
		if (*p == '/') {
			if (start)
				return 0;
			start = 1;
			continue;
		}
		if (start && !alnum)
			return 0;
		if (!alnum && *p != '.' && *p != '_' && *p != '-')
			return 0;
		start = 0;
	}
	return !start;
}

/* The slug a file gets from its name: "a/b/post.md" -> "post",
 * "a/b/index.md" -> "b", "index.md" -> "index". */
static char *
slug_from_name(const char *rel)
{
	const char *base = strrchr(rel, '/');
	size_t n;

	base = base ? base + 1 : rel;
	if (!strcmp(base, "index.md") && base != rel) {
		const char *end = base - 1, *start = end;
		while (start > rel && start[-1] != '/')
			start--;
		return strndup(start, (size_t)(end - start));
	}
	n = strlen(base);
	return strndup(base, n > 3 ? n - 3 : n);
}

json_t *
sp_content_parse(const char *buf, size_t n, const struct sp_src *src, const char *rel,
    char *err, size_t errlen)
{
	json_t *map = NULL, *marks = NULL, *cl = json_object(), *defs, *data = NULL, *slug;
	char uuid[SP_UUID_LEN], hex[SP_HEXLEN], *body, *key, *fpath;
	struct sp_fm fm;
	size_t blen;

	if (memchr(buf, '\0', n)) {
		say(err, errlen, "1:1: contains a NUL byte");
		goto out;
	}
	if (!sp_utf8_valid(buf, n)) {
		say(err, errlen, "1:1: not valid UTF-8");
		goto out;
	}
	if (sp_fm_split(buf, n, &fm, err, errlen))
		goto out;
	if (fm.has) {
		if (!(map = sp_yaml_load(fm.yaml, fm.yaml_len, fm.yaml_line0, &marks, err, errlen)))
			goto out;
		if (json_is_null(map)) {
			json_decref(map);
			map = json_object();
		} else if (!json_is_object(map)) {
			say(err, errlen, "2:1: the frontmatter is not a mapping");
			goto out;
		}
	} else {
		map = json_object();
	}
	defs = json_pack("{s:O}", "category_id", src->category);
	if (sp_rowmap_take(cols, NCOLS, map, marks, defs, cl, err, errlen)) {
		json_decref(defs);
		goto out;
	}
	json_decref(defs);
	slug = json_object_get(cl, "slug");
	if (json_is_null(slug)) {
		char *s = slug_from_name(rel);
		if (!sp_slug_ok(s)) {
			say(err, errlen, "1:1: no slug in the frontmatter, and the file name gives the invalid slug \"%s\"", s);
			free(s);
			goto out;
		}
		json_object_set_new(cl, "slug", json_string(s));
		free(s);
	} else if (!sp_slug_ok(json_string_value(slug))) {
		struct sp_yaml_mark m = sp_yaml_mark_of(marks, "slug");
		say(err, errlen, "%lu:%lu: slug: \"%s\" is not a valid slug (letters, digits, \".\", \"_\", \"-\", \"/\")",
		    m.line, m.column, json_string_value(slug));
		goto out;
	}
	data = json_object();
	key = sp_asprintf("%s/%s", src->source_id, json_string_value(json_object_get(cl, "slug")));
	sp_uuid5(key, strlen(key), uuid);
	free(key);
	json_object_set_new(data, "id", json_string(uuid));
	json_object_set_new(data, "source_id", json_string(src->source_id));
	for (size_t i = 0; i < NCOLS; i++)
		json_object_set(data, cols[i].col, json_object_get(cl, cols[i].col));
	body = sp_crlf_to_lf(fm.body, fm.body_len, &blen);
	json_object_set_new(data, "body", json_stringn_nocheck(body, blen));
	free(body);
	json_object_set(data, "metadata", map);
	fpath = sp_asprintf("%s/%s", src->path, rel);
	json_object_set_new(data, "file_path", json_string(fpath));
	free(fpath);
	sp_rowhash("content", data, hex);
	json_object_set_new(data, "content_hash", json_string(hex));
out:
	json_decref(map);
	json_decref(marks);
	json_decref(cl);
	return data;
}

struct walk {
	const char *root;	/* the content directory */
	const struct sp_src *src;
	const struct sp_scan_cb *cb;
	json_t *slugs;		/* slug -> path, this source */
	unsigned long skipped;	/* pages of a kind the source does not allow */
	int stop;
	char *err;
	size_t errlen;
};

static int
kind_allowed(json_t *allowed, json_t *kind)
{
	size_t i;
	json_t *v;

	json_array_foreach(allowed, i, v)
		if (json_is_string(kind) && json_equal(v, kind))
			return 1;
	return 0;
}

static void
page(struct walk *w, const char *rel)
{
	char *path = sp_path_join(w->root, rel), *buf, msg[1024], ebuf[768];
	const char *inrel = rel + strlen(w->src->path) + 1;
	json_t *data, *prev;
	const char *why;
	size_t n;
	int e, code = SP_EX_DATAERR;

	if ((why = sp_name_unfit(rel))) {
		snprintf(msg, sizeof msg, "%s: file name %s; rename it", path, why);
		goto bad;
	}
	if ((e = sp_text_read(path, &buf, &n))) {
		snprintf(msg, sizeof msg, "%s: %s", path, strerror(e));
		code = sp_ex_for_errno(e);
		goto bad;
	}
	data = sp_content_parse(buf, n, w->src, inrel, ebuf, sizeof ebuf);
	free(buf);
	if (!data) {
		snprintf(msg, sizeof msg, "%s:%s", path, ebuf);
		goto bad;
	}
	if (w->src->allowed && !kind_allowed(w->src->allowed, json_object_get(data, "kind"))) {
		json_t *k = json_object_get(data, "kind");
		snprintf(msg, sizeof msg, "%s: skipped: kind %s%s%s is not in the allowed_content_types of source \"%s\" (%s)",
		    path, json_is_string(k) ? "\"" : "", json_is_string(k) ? json_string_value(k) : "(none)",
		    json_is_string(k) ? "\"" : "", w->src->name, w->src->where ? w->src->where : "config");
		w->skipped++;
		if (w->cb->warn)
			w->cb->warn(msg, w->cb->arg);
		json_decref(data);
		free(path);
		return;
	}
	prev = json_object_get(w->slugs, json_string_value(json_object_get(data, "slug")));
	if (prev) {
		snprintf(msg, sizeof msg, "%s: slug \"%s\" of source \"%s\" is already used by %s/%s",
		    path, json_string_value(json_object_get(data, "slug")), w->src->source_id,
		    w->root, json_string_value(prev));
		json_decref(data);
		goto bad;
	}
	json_object_set_new(w->slugs, json_string_value(json_object_get(data, "slug")),
	    json_string(rel));
	free(path);
	w->cb->row(json_pack("{s:s, s:s, s:s, s:o}", "type", "row", "table", "content", "path", rel,
	    "data", data), w->cb->arg);
	return;
bad:
	free(path);
	if (w->cb->bad(code, msg, w->cb->arg)) {
		w->stop = code;
		snprintf(w->err, w->errlen, "%s", msg);
	}
}

/* Walk directory rel (relative to the content root) in bytewise order. */
static void
walk(struct walk *w, const char *rel)
{
	char *path = sp_path_join(w->root, rel);
	struct sp_dirent *ents;
	size_t n;
	int e;

	e = sp_dir_list(path, &ents, &n);
	free(path);
	if (e) {
		char msg[1024];
		snprintf(msg, sizeof msg, "%s/%s: %s", w->root, rel, strerror(e));
		if (w->cb->bad(sp_ex_for_errno(e), msg, w->cb->arg)) {
			w->stop = sp_ex_for_errno(e);
			snprintf(w->err, w->errlen, "%s", msg);
		}
		return;
	}
	/* entries in bytewise name order, directories where their name sorts */
	for (size_t i = 0; i < n && !w->stop; i++) {
		size_t len = strlen(ents[i].name);
		char *sub = sp_asprintf("%s/%s", rel, ents[i].name);

		if (ents[i].isdir)
			walk(w, sub);
		else if (ents[i].isreg && len > 3 && !strcmp(ents[i].name + len - 3, ".md"))
			page(w, sub);
		free(sub);
	}
	sp_dir_free(ents, n);
}

static void
tell(const struct sp_scan_cb *cb, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	if (!cb->warn)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	cb->warn(msg, cb->arg);
}

int
sp_content_scan_in(const char *dir, const char *root, const struct sp_scan_cb *cb, char *err,
    size_t errlen)
{
	struct sp_sources s;
	int rc;

	if ((rc = sp_content_sources(dir, root, &s, err, errlen)))
		return rc;
	for (size_t i = 0; i < s.n && !rc; i++) {
		struct walk w = {dir, &s.v[i], cb, json_object(), 0, 0, err, errlen};

		if (!s.v[i].enabled) {
			json_decref(w.slugs);
			continue;
		}
		if (s.v[i].note)
			tell(cb, "%s: content source \"%s\": %s", s.v[i].where, s.v[i].name, s.v[i].note);
		if (!s.v[i].exists)
			tell(cb, "%s: content source \"%s\": directory %s/%s is missing (no pages read)",
			    s.v[i].where, s.v[i].name, dir, s.v[i].path);
		else
			walk(&w, s.v[i].path);
		if (w.skipped)
			tell(cb, "%s: content source \"%s\": %lu page%s skipped (kind not in allowed_content_types)",
			    s.v[i].where, s.v[i].name, w.skipped, w.skipped == 1 ? "" : "s");
		json_decref(w.slugs);
		rc = w.stop;
	}
	sp_content_sources_free(&s);
	return rc;
}

int
sp_content_scan(const char *dir, const struct sp_scan_cb *cb, char *err, size_t errlen)
{
	return sp_content_scan_in(dir, NULL, cb, err, errlen);
}

char *
sp_content_render(const struct sp_sources *s, json_t *data, size_t *len, char *err, size_t errlen)
{
	static const char *const always[] = {"slug", NULL};
	const char *sid = json_string_value(json_object_get(data, "source_id"));
	const struct sp_src *src = sid ? sp_content_source(s, sid) : NULL;
	json_t *defs = json_pack("{s:O}", "category_id", src ? src->category : json_null());
	json_t *fm = sp_rowmap_give(cols, NCOLS, data, defs, always, NULL, err, errlen), *b;
	char *y, *out, *q;
	const char *body = "";
	size_t ylen, blen = 0;

	json_decref(defs);
	if (!fm)
		return NULL;
	y = sp_yaml_dump(fm, 0, &ylen, err, errlen);
	json_decref(fm);
	if (!y)
		return NULL;
	b = json_object_get(data, "body");
	if (json_is_string(b)) {
		body = json_string_value(b);
		blen = json_string_length(b);
	}
	out = q = sp_malloc(ylen + blen + 9);
	q = mempcpy(q, "---\n", 4);
	q = mempcpy(q, y, ylen);
	q = mempcpy(q, "---\n", 4);
	q = mempcpy(q, body, blen);
	*q = '\0';
	*len = (size_t)(q - out);
	free(y);
	return out;
}

char *
sp_content_default_rel(const struct sp_sources *s, json_t *data, int dirs, char *err,
    size_t errlen)
{
	const char *sid = json_string_value(json_object_get(data, "source_id"));
	const char *slug = json_string_value(json_object_get(data, "slug"));
	const struct sp_src *src;

	if (!sid || !*sid || !slug || !sp_slug_ok(slug)) {
		say(err, errlen, "row has no valid source_id and slug");
		return NULL;
	}
	src = sp_content_source(s, sid);
	if (!src && (strchr(sid, '/') || sp_path_unsafe(sid, 1))) {
		say(err, errlen, "source \"%s\" is not in the content config and is not a directory name", sid);
		return NULL;
	}
	if (!*slug)
		return sp_asprintf("%s/index.md", src ? src->path : sid);
	return sp_asprintf(dirs ? "%s/%s/index.md" : "%s/%s.md", src ? src->path : sid, slug);
}
