/* manifest.c - the .sp-manifest.json entry of an sp archive. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "archive/manifest.h"
#include "core/err.h"
#include "core/path.h"
#include "core/tstamp.h"

void
sp_mchecksum_init(sp_sha256 *h)
{
	sp_sha256_init(h);
}

void
sp_mchecksum_add(sp_sha256 *h, const char *path, long long size, unsigned mode,
    const char *sha256, const char *link)
{
	char num[64];
	int n;

	sp_sha256_update(h, path, strlen(path));
	n = snprintf(num, sizeof num, "\t%lld\t%04o\t", size, mode);
	sp_sha256_update(h, num, (size_t)n);
	sp_sha256_update(h, sha256, strlen(sha256));
	sp_sha256_update(h, "\t", 1);
	if (link)
		sp_sha256_update(h, link, strlen(link));
	sp_sha256_update(h, "\n", 1);
}

const char *
sp_link_unsafe(const char *path, const char *target)
{
	const char *s, *c;
	long depth = 0;
	int normal = 0;

	if (!*target)
		return "symlink with an empty target";
	if (*target == '/')
		return "symlink to an absolute path";
	if (strlen(target) >= 4096)
		return "symlink target too long";
	for (s = target; *s; s++)
		if (sp_ctl_len(s))
			return "control character in symlink target";
	for (s = path; (s = strchr(s, '/')); s++)
		depth++;	/* directories between the root and the link */
	for (s = target;; s = c + 1) {
		size_t len;

		c = strchr(s, '/');
		len = c ? (size_t)(c - s) : strlen(s);
		if (len == 2 && s[0] == '.' && s[1] == '.') {
			if (normal)
				return "symlink target has \"..\" after a name";
			if (--depth < 0)
				return "symlink points outside the tree";
		} else if (len && !(len == 1 && s[0] == '.')) {
			normal = 1;
		}
		if (!c)
			break;
	}
	return NULL;
}

const char *
sp_name_too_long(const char *path)
{
	const char *s, *c;

	if (strlen(path) >= 4096)
		return "path too long";
	for (s = path; (c = strchr(s, '/')); s = c + 1)
		if (c - s > 255)
			return "name too long";
	return strlen(s) > 255 ? "name too long" : NULL;
}

static int
mcmp(const void *x, const void *y)
{
	const struct sp_mfile *a = x, *b = y;

	return strcmp(a->path, b->path);
}

struct sp_mfile *
sp_manifest_find(const struct sp_manifest *m, const char *path)
{
	struct sp_mfile key = {.path = (char *)path};

	if (!m->n)
		return NULL;
	return m->n ? bsearch(&key, m->v, m->n, sizeof *m->v, mcmp) : NULL;
}

const struct sp_mfile *
sp_manifest_prefix(const struct sp_manifest *m, const char *path)
{
	const struct sp_mfile *found = NULL, *f;
	char *p = sp_strdup(path), *s;

	for (s = p; (s = strchr(s, '/')); s++) {
		*s = '\0';
		if ((f = sp_manifest_find(m, p)))
			found = f;
		*s = '/';
	}
	free(p);
	return found;
}

void
sp_manifest_free(struct sp_manifest *m)
{
	size_t i;

	for (i = 0; i < m->n; i++) {
		free(m->v[i].path);
		free(m->v[i].link);
	}
	free(m->v);
	json_decref(m->doc);
	memset(m, 0, sizeof *m);
}

#define FAIL(...) do { snprintf(err, errlen, SP_MANIFEST_NAME ": " __VA_ARGS__); goto bad; } while (0)

/* Fill f from the i-th element of "files"; a reason on failure. */
static const char *
take_file(json_t *o, struct sp_mfile *f)
{
	json_t *p = json_object_get(o, "path"), *sz = json_object_get(o, "size");
	json_t *md = json_object_get(o, "mode"), *h = json_object_get(o, "sha256");
	json_t *l = json_object_get(o, "link");
	const char *why, *ms;
	char hex[SP_HEXLEN];

	if (!json_is_object(o))
		return "entry is not an object";
	if (json_object_get(o, "path_b64") || json_object_get(o, "link_b64"))
		return "names that are not UTF-8 are not supported in archives";
	if (!json_is_string(p) || strlen(json_string_value(p)) != json_string_length(p))
		return "no \"path\" string";
	f->path = sp_strdup(json_string_value(p));
	if ((why = sp_path_unsafe(f->path, 1)))
		return why;
	if ((why = sp_name_too_long(f->path)))
		return why;
	if (!strcmp(f->path, SP_MANIFEST_NAME))
		return "the manifest lists itself";
	if (!json_is_integer(sz) || json_integer_value(sz) < 0)
		return "\"size\" is not a non-negative integer";
	f->size = json_integer_value(sz);
	ms = json_string_value(md);
	if (!ms || strlen(ms) != 4 || strspn(ms, "01234567") != 4)
		return "\"mode\" is not 4 octal digits";
	f->mode = (unsigned)strtoul(ms, NULL, 8);
	if (!json_is_string(h) || !sp_is_sha256(json_string_value(h)))
		return "\"sha256\" is not 64 lowercase hex digits";
	memcpy(f->sha256, json_string_value(h), SP_HEXLEN);
	if (l) {
		if (!json_is_string(l) || strlen(json_string_value(l)) != json_string_length(l))
			return "\"link\" is not a string";
		f->link = sp_strdup(json_string_value(l));
		if ((why = sp_link_unsafe(f->path, f->link)))
			return why;
		if (f->size != 0)
			return "a symlink with a non-zero size";
		sp_sha256_hex(f->link, strlen(f->link), hex);
		if (strcmp(hex, f->sha256))
			return "\"sha256\" of a symlink is not the hash of its target";
	}
	return NULL;
}

/* Where the JSON value at b[p] ends (one past it), skipping it bytewise
 * without building anything: strings with their escapes, nesting by
 * brackets. n when it does not end; jansson checks the rest. */
static size_t
value_end(const char *b, size_t n, size_t p)
{
	size_t depth = 0;

	for (; p < n; p++) {
		char c = b[p];

		if (c == '"') {
			for (p++; p < n && b[p] != '"'; p++)
				if (b[p] == '\\')
					p++;
			if (p >= n)
				return n;	/* unterminated: jansson says so */
			if (!depth)
				return p + 1;
		} else if (c == '{' || c == '[') {
			depth++;
		} else if (c == '}' || c == ']') {
			if (!depth)
				return p;	/* a scalar ended by its container */
			if (!--depth)
				return p + 1;
		} else if (!depth && (c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r')) {
			return p;
		}
	}
	return n;
}

static size_t
skip_ws(const char *b, size_t n, size_t p)
{
	while (p < n && (b[p] == ' ' || b[p] == '\t' || b[p] == '\n' || b[p] == '\r'))
		p++;
	return p;
}

/* Line of byte p, for messages. */
static int
line_of(const char *b, size_t p)
{
	int line = 1;

	for (size_t i = 0; i < p; i++)
		line += b[i] == '\n';
	return line;
}

/* The value at *p, at most max bytes of text (else NULL, *big set), parsed
 * on its own and *p moved past it; NULL on a syntax error (je). */
static json_t *
value_at(const char *b, size_t n, size_t *p, size_t max, int *big, json_error_t *je)
{
	size_t end = value_end(b, n, *p);
	json_t *v;

	*big = 0;
	if (end - *p > max) {
		*big = 1;
		return NULL;
	}
	v = json_loadb(b + *p, end - *p, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, je);
	if (v)
		*p = end;
	return v;
}

/* The text of one entry of "files", or of any other member, is bounded:
 * the tree jansson builds for it is what a manifest bomb would blow up. */
#define ENTRY_MAX (64 << 10)

/* The "files" array at buf[*p] ('['), entry by entry into m->v, each
 * checked as it comes and added to the checksum h; 0, or -1 with err. */
static int
read_files(const char *buf, size_t n, size_t *pp, long long max_size, struct sp_manifest *m,
    sp_sha256 *h, char *err, size_t errlen)
{
	size_t p = skip_ws(buf, n, *pp + 1), cap = 0;
	const char *why;
	json_error_t je;
	json_t *v;
	int big;

	if (p < n && buf[p] == ']') {
		*pp = p + 1;
		return 0;
	}
	for (size_t i = 0;; i++) {
		struct sp_mfile *f;

		if (!(v = value_at(buf, n, &p, ENTRY_MAX, &big, &je))) {
			if (big)
				FAIL("files[%zu]: an entry over %d bytes", i, ENTRY_MAX);
			FAIL("malformed JSON at line %d: %s", line_of(buf, p) + je.line - 1, je.text);
		}
		if (m->n == cap) {
			cap = cap ? 2 * cap : 256;
			m->v = sp_realloc(m->v, cap * sizeof *m->v);
		}
		f = &m->v[m->n++];
		memset(f, 0, sizeof *f);
		why = take_file(v, f);
		json_decref(v);	/* only what v says is kept, in f */
		if (why) {
			if (f->path)
				FAIL("%s: %s", f->path, why);
			FAIL("files[%zu]: %s", i, why);
		}
		sp_mchecksum_add(h, f->path, f->size, f->mode, f->sha256, f->link);
		if (f->size > max_size - m->total)
			FAIL("the files add up to more than the size limit of %lld bytes", max_size);
		m->total += f->size;
		p = skip_ws(buf, n, p);
		if (p < n && buf[p] == ',') {
			p = skip_ws(buf, n, p + 1);
			continue;
		}
		if (p < n && buf[p] == ']') {
			*pp = p + 1;
			return 0;
		}
		FAIL("malformed JSON at line %d: expected ',' or ']'", line_of(buf, p));
	}
bad:
	return -1;
}

int
sp_manifest_parse(const char *buf, size_t n, long long max_size, struct sp_manifest *m,
    char *err, size_t errlen)
{
	json_t *ver, *ck, *key = NULL, *v;
	json_error_t je;
	sp_sha256 h;
	size_t i, p;
	char hex[SP_HEXLEN];
	int big, hashing = 0, have_files = 0;

	/* Read member by member and "files" entry by entry, each checked as
	 * it comes: a list of empty objects fails at its first, and memory
	 * never holds more than one entry's tree beyond the valid ones. */
	memset(m, 0, sizeof *m);
	p = skip_ws(buf, n, 0);
	if (p >= n || buf[p] != '{')
		FAIL("not a JSON object");
	m->doc = json_object();
	sp_mchecksum_init(&h);
	hashing = 1;
	p = skip_ws(buf, n, p + 1);
	if (p < n && buf[p] == '}')
		p++;
	else for (;;) {
		const char *k;

		if (!(key = value_at(buf, n, &p, ENTRY_MAX, &big, &je)) || !json_is_string(key))
			FAIL("malformed JSON at line %d: expected a member name", line_of(buf, p));
		k = json_string_value(key);
		if (json_object_get(m->doc, k) || (have_files && !strcmp(k, "files")))
			FAIL("malformed JSON at line %d: duplicate member \"%s\"", line_of(buf, p), k);
		p = skip_ws(buf, n, p);
		if (p >= n || buf[p] != ':')
			FAIL("malformed JSON at line %d: expected ':'", line_of(buf, p));
		p = skip_ws(buf, n, p + 1);
		if (!strcmp(k, "files") && p < n && buf[p] == '[') {
			have_files = 1;
			if (read_files(buf, n, &p, max_size, m, &h, err, errlen) != 0)
				goto bad;
		} else {
			if (!(v = value_at(buf, n, &p, ENTRY_MAX, &big, &je))) {
				if (big)
					FAIL("\"%s\": a value over %d bytes", k, ENTRY_MAX);
				FAIL("malformed JSON at line %d: %s", line_of(buf, p) + je.line - 1, je.text);
			}
			json_object_set_new(m->doc, k, v);
		}
		json_decref(key);
		key = NULL;
		p = skip_ws(buf, n, p);
		if (p < n && buf[p] == ',') {
			p = skip_ws(buf, n, p + 1);
			continue;
		}
		if (p < n && buf[p] == '}') {
			p++;
			break;
		}
		FAIL("malformed JSON at line %d: expected ',' or '}'", line_of(buf, p));
	}
	if (skip_ws(buf, n, p) != n)
		FAIL("malformed JSON at line %d: end of file expected", line_of(buf, p));
	ver = json_object_get(m->doc, "version");
	if (!json_is_integer(ver) || json_integer_value(ver) != 1)
		FAIL("\"version\" is not 1");
	if (!json_is_string(json_object_get(m->doc, "timestamp")))
		FAIL("no \"timestamp\" string");
	ck = json_object_get(m->doc, "checksum");
	if (!json_is_string(ck) || !sp_is_sha256(json_string_value(ck)))
		FAIL("no \"checksum\" of 64 lowercase hex digits");
	if (!have_files)
		FAIL("no \"files\" array");
	hashing = 0;
	sp_sha256_final(&h, hex);
	memcpy(m->checksum, hex, SP_HEXLEN);
	if (strcmp(hex, json_string_value(ck)))
		FAIL("\"checksum\" does not match the file list");
	if (m->n)
		qsort(m->v, m->n, sizeof *m->v, mcmp);
	for (i = 0; i < m->n; i++) {
		const struct sp_mfile *p;

		if (i && !strcmp(m->v[i - 1].path, m->v[i].path))
			FAIL("%s: listed twice", m->v[i].path);
		if ((p = sp_manifest_prefix(m, m->v[i].path)))
			FAIL("%s: %s %s", m->v[i].path,
			    p->link ? "would be written through the symlink" : "lies below the file", p->path);
	}
	return 0;
bad:
	if (hashing)
		sp_sha256_free(&h);
	json_decref(key);
	for (char *c = err; c < err + errlen && *c; c++) {
		int k = sp_ctl_len(c);	/* names in messages stay on one line, inert */
		if (k)
			*c = '?', memmove(c + 1, c + k, strlen(c + k) + 1);
	}
	sp_manifest_free(m);
	return -1;
}

char *
sp_manifest_text(const struct sp_mfile *v, size_t n, long long stamp, size_t *len,
    char checksum[SP_HEXLEN])
{
	json_t *doc = json_object(), *files = json_array();
	char ts[32], *s;
	sp_sha256 h;
	size_t i;

	sp_mchecksum_init(&h);
	for (i = 0; i < n; i++) {
		const struct sp_mfile *e = &v[i];
		json_t *f = json_object();
		char mode[8];

		snprintf(mode, sizeof mode, "%04o", e->mode);
		json_object_set_new(f, "path", json_string(e->path));
		json_object_set_new(f, "size", json_integer(e->size));
		json_object_set_new(f, "mode", json_string(mode));
		json_object_set_new(f, "sha256", json_string(e->sha256));
		if (e->link)
			json_object_set_new(f, "link", json_string(e->link));
		json_array_append_new(files, f);
		sp_mchecksum_add(&h, e->path, e->size, e->mode, e->sha256, e->link);
	}
	sp_sha256_final(&h, checksum);
	sp_rfc3339(stamp, ts);
	json_object_set_new(doc, "version", json_integer(1));
	json_object_set_new(doc, "files", files);
	json_object_set_new(doc, "timestamp", json_string(ts));
	json_object_set_new(doc, "checksum", json_string(checksum));
	s = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	*len = s ? strlen(s) : 0;
	return s;
}

/* The manifest's "timestamp" as Unix seconds (0 when unreadable). */
long long
sp_manifest_stamp(const struct sp_manifest *m)
{
	const char *ts = json_string_value(json_object_get(m->doc, "timestamp")), *why;
	int64_t us;

	if (!ts || sp_ts_parse(ts, &us, &why) != 0)
		return 0;
	return us / 1000000 + 946684800LL;
}

