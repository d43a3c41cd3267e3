/* skills.c - skill directories on disk <-> agent_skills rows. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "core/path.h"
#include "core/textfile.h"
#include "core/uuid.h"
#include "db/rowhash.h"
#include "local/frontmatter.h"
#include "local/rowmap.h"
#include "local/skills.h"
#include "local/yamlval.h"

static const struct sp_colspec cols[] = {
	{"id", "skill_id", SP_COL_TEXT},
	{"name", "name", SP_COL_TEXT},
	{"description", "description", SP_COL_TEXT},
	{"enabled", "enabled", SP_COL_BOOL},
	{"category", "category_id", SP_COL_TEXT},
	{"tags", "tags", SP_COL_TAGS},
};
#define NCOLS (sizeof cols / sizeof cols[0])

/* The older layout: no config, the frontmatter of index.md says it all. */
static const struct sp_colspec lcols[] = {
	{"slug", "skill_id", SP_COL_TEXT},
	{"title", "name", SP_COL_TEXT},
	{"description", "description", SP_COL_TEXT},
	{"enabled", "enabled", SP_COL_BOOL},
	{"category", "category_id", SP_COL_TEXT},
	{"tags", "tags", SP_COL_TAGS},
};
#define NLCOLS (sizeof lcols / sizeof lcols[0])

/* Metadata key naming the instruction file read, when the config does not
 * say it (file: names a missing file, or no file: and not SKILL.md). */
#define IF_KEY "instructions_file"

/* Metadata key holding the frontmatter of the instruction file. */
#define FM_KEY "instructions_frontmatter"

static void
say(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Check text read from a file: UTF-8, no NUL. */
static const char *
text_problem(const char *buf, size_t n)
{
	if (memchr(buf, '\0', n))
		return "contains a NUL byte";
	if (!sp_utf8_valid(buf, n))
		return "not valid UTF-8";
	return NULL;
}

/* Read the instruction file: sets instructions and, into meta, its
 * frontmatter. Returns 0 or an exit code with err set. */
static int
read_instructions(int dfd, const char *where, const char *rel, json_t *data, json_t *meta,
    char *err, size_t errlen)
{
	char *buf, ebuf[512], *body;
	const char *why;
	struct sp_fm fm;
	size_t n, blen;
	int e;

	if ((e = sp_text_read_at(dfd, rel, &buf, &n))) {
		say(err, errlen, "%s/%s: instruction file: %s", where, rel,
		    e == EINVAL ? "not a regular file" : strerror(e));
		return e == ENOENT ? SP_EX_DATAERR : sp_ex_for_errno(e);
	}
	if ((why = text_problem(buf, n))) {
		say(err, errlen, "%s/%s: %s", where, rel, why);
		free(buf);
		return SP_EX_DATAERR;
	}
	if (sp_fm_split(buf, n, &fm, ebuf, sizeof ebuf)) {
		say(err, errlen, "%s/%s:%s", where, rel, ebuf);
		free(buf);
		return SP_EX_DATAERR;
	}
	if (fm.has) {
		json_t *f = sp_yaml_load(fm.yaml, fm.yaml_len, fm.yaml_line0, NULL, ebuf, sizeof ebuf);
		if (!f || (!json_is_null(f) && !json_is_object(f))) {
			say(err, errlen, "%s/%s:%s", where, rel, f ? "2:1: frontmatter is not a mapping" : ebuf);
			json_decref(f);
			free(buf);
			return SP_EX_DATAERR;
		}
		if (json_object_size(f))
			json_object_set(meta, FM_KEY, f);
		json_decref(f);
	}
	body = sp_crlf_to_lf(fm.body, fm.body_len, &blen);
	json_object_set_new(data, "instructions", json_stringn_nocheck(body, blen));
	free(body);
	free(buf);
	return 0;
}

static int
exists_at(int dfd, const char *name)
{
	return faccessat(dfd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

static void
warn(const struct sp_scan_cb *cb, const char *fmt, ...)
{
	char msg[1536];
	va_list ap;

	if (!cb || !cb->warn)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	cb->warn(msg, cb->arg);
}

/* A skill in the older layout: sub/index.md whose frontmatter holds its
 * fields (slug -> skill_id, title -> name). NULL with *code and err. */
static json_t *
legacy_read(int dfd, const char *where, const char *sub, int *code, char *err, size_t errlen)
{
	char *buf = NULL, ebuf[512], hex[SP_HEXLEN], uuid[SP_UUID_LEN], *body;
	json_t *map = NULL, *marks = NULL, *cl = json_object(), *data = NULL, *sid;
	const char *why;
	struct sp_fm fm;
	size_t n, blen;
	int e;

	*code = SP_EX_DATAERR;
	if ((e = sp_text_read_at(dfd, "index.md", &buf, &n))) {
		*code = e == EINVAL ? SP_EX_DATAERR : sp_ex_for_errno(e);
		say(err, errlen, "%s/index.md: %s", where, e == EINVAL ? "not a regular file" : strerror(e));
		goto out;
	}
	if ((why = text_problem(buf, n))) {
		say(err, errlen, "%s/index.md: %s", where, why);
		goto out;
	}
	if (sp_fm_split(buf, n, &fm, ebuf, sizeof ebuf)) {
		say(err, errlen, "%s/index.md:%s", where, ebuf);
		goto out;
	}
	if (!(map = sp_yaml_load(fm.yaml, fm.yaml_len, fm.yaml_line0, &marks, ebuf, sizeof ebuf))) {
		say(err, errlen, "%s/index.md:%s", where, ebuf);
		goto out;
	}
	if (!json_is_object(map)) {
		say(err, errlen, "%s/index.md:2:1: the frontmatter is not a mapping", where);
		goto out;
	}
	if (sp_rowmap_take(lcols, NLCOLS, map, marks, NULL, cl, ebuf, sizeof ebuf)) {
		say(err, errlen, "%s/index.md:%s", where, ebuf);
		goto out;
	}
	sid = json_object_get(cl, "skill_id");
	if (json_is_null(sid) || !json_string_length(sid))
		json_object_set_new(cl, "skill_id", json_string(sub));
	if (json_is_null(json_object_get(cl, "name")))
		json_object_set(cl, "name", json_object_get(cl, "skill_id"));
	data = json_object();
	sid = json_object_get(cl, "skill_id");
	sp_uuid5(json_string_value(sid), json_string_length(sid), uuid);
	json_object_set_new(data, "id", json_string(uuid));
	json_object_set(data, "skill_id", sid);
	json_object_set(data, "name", json_object_get(cl, "name"));
	json_object_set(data, "description", json_object_get(cl, "description"));
	body = sp_crlf_to_lf(fm.body, fm.body_len, &blen);
	json_object_set_new(data, "instructions", json_stringn_nocheck(body, blen));
	free(body);
	json_object_set(data, "enabled", json_object_get(cl, "enabled"));
	json_object_set(data, "tags", json_object_get(cl, "tags"));
	json_object_set(data, "category_id", json_object_get(cl, "category_id"));
	json_object_set_new(data, "file_path", json_sprintf("%s/index.md", sub));
	json_object_set(data, "metadata", map);
	sp_rowhash("agent_skills", data, hex);
	json_object_set_new(data, "content_hash", json_string(hex));
	*code = 0;
out:
	json_decref(map);
	json_decref(marks);
	json_decref(cl);
	free(buf);
	return data;
}

/* True when sub/index.md starts with a frontmatter block. */
static int
has_frontmatter(int dfd)
{
	char b[5] = {0};
	int fd = openat(dfd, "index.md", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	ssize_t k;

	if (fd < 0)
		return 0;
	k = read(fd, b, 4);
	close(fd);
	return k == 4 && !memcmp(b, "---", 3) && (b[3] == '\n' || b[3] == '\r');
}

/* The config cfg in dfd, as a YAML mapping (*map) with its marks;
 * 0, or the exit status with err naming file and line. */
static int
load_config(int dfd, const char *where, const char *cfg, json_t **map, json_t **marks,
    char *err, size_t errlen)
{
	char *buf = NULL, ebuf[512];
	const char *why;
	size_t n;
	int e;

	if ((e = sp_text_read_at(dfd, cfg, &buf, &n))) {
		say(err, errlen, "%s/%s: %s", where, cfg, e == EINVAL ? "not a regular file" : strerror(e));
		return e == EINVAL ? SP_EX_DATAERR : sp_ex_for_errno(e);
	}
	if ((why = text_problem(buf, n)))
		say(err, errlen, "%s/%s: %s", where, cfg, why);
	else if (!(*map = sp_yaml_load(buf, n, 0, marks, ebuf, sizeof ebuf)))
		say(err, errlen, "%s/%s:%s", where, cfg, ebuf);
	else if (!json_is_object(*map))
		say(err, errlen, "%s/%s:1:1: the config is not a mapping", where, cfg);
	free(buf);
	return json_is_object(*map) ? 0 : SP_EX_DATAERR;
}

/* The config's columns into cl (skill_id defaulting to the directory
 * name, name to the id); -1 with err when one is bad or a reserved key
 * is set. */
static int
take_columns(json_t *map, json_t *marks, json_t *cl, const char *where, const char *cfg,
    const char *sub, char *err, size_t errlen)
{
	static const char *const reserved[][2] = {
		{FM_KEY, "reserved for the instruction file's frontmatter"},
		{IF_KEY, "reserved for the name of the instruction file read"},
	};
	char ebuf[512];
	json_t *sid;

	if (sp_rowmap_take(cols, NCOLS, map, marks, NULL, cl, ebuf, sizeof ebuf)) {
		say(err, errlen, "%s/%s:%s", where, cfg, ebuf);
		return -1;
	}
	sid = json_object_get(cl, "skill_id");
	if (json_is_null(sid)) {
		json_object_set_new(cl, "skill_id", json_string(sub));
	} else if (!json_string_length(sid)) {
		struct sp_yaml_mark m = sp_yaml_mark_of(marks, "id");
		say(err, errlen, "%s/%s:%lu:%lu: id: empty", where, cfg, m.line, m.column);
		return -1;
	}
	/* name is NOT NULL in the table: a skill without one is named by its id */
	if (json_is_null(json_object_get(cl, "name")))
		json_object_set(cl, "name", json_object_get(cl, "skill_id"));
	for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++) {
		if (json_object_get(map, reserved[i][0])) {
			struct sp_yaml_mark m = sp_yaml_mark_of(marks, reserved[i][0]);
			say(err, errlen, "%s/%s:%lu:%lu: %s: %s", where, cfg, m.line, m.column,
			    reserved[i][0], reserved[i][1]);
			return -1;
		}
	}
	return 0;
}

/* The instruction file, as upstream finds it: the config's file: when it
 * is there, else index.md, else SKILL.md. *file is the one to read,
 * *named the one the config names (or SKILL.md); -1 with err when there
 * is none or file: is unsafe. */
static int
pick_instructions(int dfd, json_t *map, json_t *marks, const char *where, const char *cfg,
    const struct sp_scan_cb *cb, const char **file, const char **named, char *err, size_t errlen)
{
	json_t *fv = json_object_get(map, "file");
	const char *why;

	*file = *named = "SKILL.md";
	if (fv) {
		struct sp_yaml_mark m = sp_yaml_mark_of(marks, "file");
		if (!json_is_string(fv) || (why = sp_path_unsafe(json_string_value(fv), 1))) {
			say(err, errlen, "%s/%s:%lu:%lu: file: %s", where, cfg, m.line, m.column,
			    json_is_string(fv) ? why : "expected a relative path");
			return -1;
		}
		*named = *file = json_string_value(fv);
		if (!exists_at(dfd, *file)) {
			*file = exists_at(dfd, "index.md") ? "index.md" : exists_at(dfd, "SKILL.md") ? "SKILL.md" : NULL;
			if (*file)
				warn(cb, "%s/%s:%lu:%lu: file: %s is missing; reading %s", where, cfg, m.line,
				    m.column, *named, *file);
			else
				*file = *named;	/* reported when read, naming it */
		}
	} else if (exists_at(dfd, "index.md")) {
		*file = "index.md";
	} else if (!exists_at(dfd, "SKILL.md")) {
		say(err, errlen, "%s: no instruction file (index.md or SKILL.md)", where);
		return -1;
	}
	return 0;
}

/* The agent_skills row of a configured skill: columns cl, the
 * instruction file read, the config kept whole as metadata. */
static json_t *
skill_row(int dfd, const char *where, const char *sub, const char *cfg, const char *file,
    const char *named, json_t *cl, json_t *map, int *code, char *err, size_t errlen)
{
	char uuid[SP_UUID_LEN], hex[SP_HEXLEN];
	json_t *data = json_object(), *sid = json_object_get(cl, "skill_id");

	sp_uuid5(json_string_value(sid), json_string_length(sid), uuid);
	json_object_set_new(data, "id", json_string(uuid));
	json_object_set(data, "skill_id", sid);
	json_object_set(data, "name", json_object_get(cl, "name"));
	json_object_set(data, "description", json_object_get(cl, "description"));
	if (strcmp(file, named))	/* say which, so that it is written back there */
		json_object_set_new(map, IF_KEY, json_string(file));
	if ((*code = read_instructions(dfd, where, file, data, map, err, errlen))) {
		json_decref(data);
		return NULL;
	}
	json_object_set(data, "enabled", json_object_get(cl, "enabled"));
	json_object_set(data, "tags", json_object_get(cl, "tags"));
	json_object_set(data, "category_id", json_object_get(cl, "category_id"));
	json_object_set_new(data, "file_path", json_sprintf("%s/%s", sub, cfg));
	json_object_set(data, "metadata", map);
	sp_rowhash("agent_skills", data, hex);
	json_object_set_new(data, "content_hash", json_string(hex));
	return data;
}

json_t *
sp_skill_read(const char *dir, const char *sub, const struct sp_scan_cb *cb, int *code, char *err,
    size_t errlen)
{
	char *where = sp_path_join(dir, sub);
	const char *cfg, *why, *file, *named;
	json_t *map = NULL, *marks = NULL, *cl = json_object(), *data = NULL;
	int dfd = -1;

	*code = SP_EX_DATAERR;
	if ((why = sp_name_unfit(sub))) {
		say(err, errlen, "%s: directory name %s; rename it", where, why);
		goto out;
	}
	dfd = open(where, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0) {
		*code = sp_ex_for_errno(errno);
		say(err, errlen, "%s: %s", where, strerror(errno));
		goto out;
	}
	if (exists_at(dfd, "config.yaml") && exists_at(dfd, "config.yml")) {
		say(err, errlen, "%s: both config.yaml and config.yml; keep one", where);
		goto out;
	}
	if (!exists_at(dfd, "config.yaml") && !exists_at(dfd, "config.yml")) {
		data = legacy_read(dfd, where, sub, code, err, errlen);
		goto out;
	}
	cfg = exists_at(dfd, "config.yaml") ? "config.yaml" : "config.yml";
	if ((*code = load_config(dfd, where, cfg, &map, &marks, err, errlen)))
		goto out;
	*code = SP_EX_DATAERR;
	if (take_columns(map, marks, cl, where, cfg, sub, err, errlen) ||
	    pick_instructions(dfd, map, marks, where, cfg, cb, &file, &named, err, errlen))
		goto out;
	data = skill_row(dfd, where, sub, cfg, file, named, cl, map, code, err, errlen);
out:
	if (dfd >= 0)
		close(dfd);
	json_decref(map);
	json_decref(marks);
	json_decref(cl);
	free(where);
	return data;
}

int
sp_skills_scan(const char *dir, const struct sp_scan_cb *cb, char *err, size_t errlen)
{
	struct sp_dirent *ents;
	json_t *seen = json_object();
	size_t n, i;
	int e, rc = 0;

	if ((e = sp_dir_list(dir, &ents, &n))) {
		say(err, errlen, "%s: %s", dir, strerror(e));
		json_decref(seen);
		return sp_ex_for_errno(e);
	}
	for (i = 0; i < n && !rc; i++) {
		char *sub = sp_path_join(dir, ents[i].name), *c1, *c2, msg[1024];
		int has, code;
		json_t *data;

		if (!ents[i].isdir) {
			free(sub);
			continue;
		}
		if (ents[i].name[0] == '.') {	/* .git and the like */
			free(sub);
			continue;
		}
		c1 = sp_path_join(sub, "config.yaml");
		c2 = sp_path_join(sub, "config.yml");
		has = access(c1, F_OK) == 0 || access(c2, F_OK) == 0;
		if (!has) {
			int dfd = open(sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			has = dfd >= 0 && has_frontmatter(dfd);
			if (dfd >= 0)
				close(dfd);
		}
		free(c1);
		free(c2);
		if (!has) {
			warn(cb, "%s: not a skill (no config.yaml, config.yml or index.md with frontmatter); skipped", sub);
			free(sub);
			continue;
		}
		free(sub);
		data = sp_skill_read(dir, ents[i].name, cb, &code, msg, sizeof msg);
		if (data) {
			const char *id = json_string_value(json_object_get(data, "skill_id"));
			json_t *prev = json_object_get(seen, id);
			if (prev) {
				snprintf(msg, sizeof msg, "%s/%s: skill id \"%s\" is already used by %s/%s",
				    dir, ents[i].name, id, dir, json_string_value(prev));
				json_decref(data);
				data = NULL;
				code = SP_EX_DATAERR;
			} else {
				json_object_set_new(seen, id, json_string(ents[i].name));
			}
		}
		if (!data) {
			if (cb->bad(code, msg, cb->arg)) {
				rc = code;
				say(err, errlen, "%s", msg);
			}
			continue;
		}
		cb->row(json_pack("{s:s, s:s, s:o}", "type", "row", "table", "agent_skills",
		    "data", data), cb->arg);
	}
	sp_dir_free(ents, n);
	json_decref(seen);
	return rc;
}

void
sp_out_free(struct sp_out *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(out[i].rel);
		free(out[i].bytes);
		out[i].rel = out[i].bytes = NULL;
	}
}

/* Join frontmatter text (may be NULL) and a body into a new buffer. */
static char *
join_doc(const char *yaml, size_t ylen, int guard, const char *body, size_t blen, size_t *len)
{
	size_t n = (yaml ? ylen + 8 : guard ? 8 : 0) + blen;
	char *p = sp_malloc(n + 1), *q = p;

	if (yaml) {
		q = mempcpy(q, "---\n", 4);
		q = mempcpy(q, yaml, ylen);
		q = mempcpy(q, "---\n", 4);
	} else if (guard) {
		q = mempcpy(q, "---\n---\n", 8);
	}
	q = mempcpy(q, body, blen);
	*q = '\0';
	*len = (size_t)(q - p);
	return p;
}

/* The one file of a skill in the older layout: DIR/index.md. */
static int
legacy_render(json_t *data, struct sp_out out[2], char *err, size_t errlen)
{
	static const char *const always[] = {"slug", NULL};
	static const char *const skip[] = {FM_KEY, IF_KEY, NULL};
	const char *fp = json_string_value(json_object_get(data, "file_path"));
	json_t *fm = sp_rowmap_give(lcols, NLCOLS, data, NULL, always, skip, err, errlen), *ins;
	const char *body = "";
	size_t ylen, blen = 0;
	char *y;

	if (!fm)
		return -1;
	y = sp_yaml_dump(fm, 0, &ylen, err, errlen);
	json_decref(fm);
	if (!y)
		return -1;
	ins = json_object_get(data, "instructions");
	if (json_is_string(ins)) {
		body = json_string_value(ins);
		blen = json_string_length(ins);
	}
	out[0].rel = sp_strdup(fp);
	out[0].bytes = join_doc(y, ylen, 1, body, blen, &out[0].len);
	free(y);
	return 0;
}

int
sp_skill_render(const char *dir, json_t *data, struct sp_out out[2], char *err, size_t errlen)
{
	static const char *const always[] = {"id", NULL};
	static const char *const skip[] = {FM_KEY, IF_KEY, NULL};
	json_t *sid = json_object_get(data, "skill_id"), *fp = json_object_get(data, "file_path");
	json_t *meta = json_object_get(data, "metadata"), *cfg = NULL, *fm, *ins, *fv;
	char *sub = NULL, *cname = NULL, *subdir = NULL, *y = NULL, *fy = NULL;
	const char *ifile = "SKILL.md", *body = "";
	size_t ylen, fylen = 0, blen = 0;
	int rc = -1;

	memset(out, 0, 2 * sizeof *out);
	if (!json_is_string(sid) || !json_string_length(sid)) {
		say(err, errlen, "row has no skill_id");
		return -1;
	}
	if (json_is_string(fp)) {
		const char *s = json_string_value(fp), *slash = strchr(s, '/');
		if (slash && slash > s && !sp_path_unsafe(s, 1) && !strcmp(slash + 1, "index.md"))
			return legacy_render(data, out, err, errlen);
		if (slash && slash > s && !sp_path_unsafe(s, 1) &&
		    (!strcmp(slash + 1, "config.yaml") || !strcmp(slash + 1, "config.yml"))) {
			sub = strndup(s, (size_t)(slash - s));
			cname = sp_strdup(slash + 1);
		}
	}
	if (!sub) {
		const char *s = json_string_value(sid);
		if (strchr(s, '/') || sp_path_unsafe(s, 1)) {
			say(err, errlen, "skill \"%s\": no usable file_path and the id is not a directory name", s);
			return -1;
		}
		sub = sp_strdup(s);
	}
	subdir = sp_path_join(dir, sub);
	if (!cname) {
		char *a = sp_path_join(subdir, "config.yaml"), *b = sp_path_join(subdir, "config.yml");
		cname = sp_strdup(access(a, F_OK) != 0 && access(b, F_OK) == 0 ? "config.yml" : "config.yaml");
		free(a);
		free(b);
	}
	if (!(cfg = sp_rowmap_give(cols, NCOLS, data, NULL, always, skip, err, errlen)))
		goto out;
	if (!(y = sp_yaml_dump(cfg, 0, &ylen, err, errlen)))
		goto out;
	fv = json_object_get(meta, IF_KEY);
	if (!fv)
		fv = json_object_get(meta, "file");
	if (fv && (!json_is_string(fv) || sp_path_unsafe(json_string_value(fv), 1))) {
		/* sp-scan would refuse the config written with it */
		say(err, errlen, "metadata.file: %s", json_is_string(fv) ?
		    sp_path_unsafe(json_string_value(fv), 1) : "expected a relative path");
		goto out;
	}
	if (fv) {
		ifile = json_string_value(fv);
	} else {
		char *a = sp_path_join(subdir, "SKILL.md"), *b = sp_path_join(subdir, "index.md");
		if (access(a, F_OK) != 0 && access(b, F_OK) == 0)
			ifile = "index.md";
		free(a);
		free(b);
	}
	fm = json_object_get(meta, FM_KEY);
	if (fm && !json_is_object(fm)) {
		say(err, errlen, "metadata.%s is not an object", FM_KEY);
		goto out;
	}
	if (json_object_size(fm) && !(fy = sp_yaml_dump(fm, 1, &fylen, err, errlen)))
		goto out;
	ins = json_object_get(data, "instructions");
	if (json_is_string(ins)) {
		body = json_string_value(ins);
		blen = json_string_length(ins);
	}
	out[0].rel = sp_asprintf("%s/%s", sub, cname);
	out[0].bytes = y;
	out[0].len = ylen;
	y = NULL;
	out[1].rel = sp_asprintf("%s/%s", sub, ifile);
	out[1].bytes = join_doc(fy, fylen, sp_fm_needs_guard(body, blen), body, blen, &out[1].len);
	rc = 0;
out:
	json_decref(cfg);
	free(y);
	free(fy);
	free(sub);
	free(cname);
	free(subdir);
	return rc;
}
