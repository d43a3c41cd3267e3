/* content.h - markdown pages with YAML frontmatter <-> content rows. */
#ifndef SP_CONTENT_H
#define SP_CONTENT_H

#include <stddef.h>
#include <jansson.h>

#include "local/scan.h"

struct sp_src {
	char *name;		/* key in content_sources, or the directory name */
	char *path;		/* directory relative to the content root */
	char *source_id;
	json_t *category;	/* default category_id (a string or null) */
	json_t *allowed;	/* allowed_content_types (strings), or NULL: any */
	json_t *conf;		/* the source's whole mapping (or NULL) */
	char *where;		/* "CONFIG:LINE" of the source's path (or NULL) */
	char *note;		/* how its path was read, when that is odd (or NULL) */
	int enabled;
	int exists;		/* its directory is there */
};

struct sp_sources {
	struct sp_src *v;
	size_t n;
	int from_config;	/* listed in config.yaml rather than found */
	char *root;		/* the services root the paths are relative to */
};

/* The content sources of the tree dir: "content_sources" of
 * dir/config.yaml (or config.yml) when present, else every subdirectory.
 * A source's path is read as upstream reads it, relative to the services
 * root (root, or the parent of dir when root is NULL), or absolute inside
 * it; it must lead below dir. A path that only makes sense relative to dir
 * itself (sp's older layout, "path: blog") is taken so, with a note.
 * Returns 0, or an SP_EX_* code with "PATH:LINE:COLUMN: reason" in err. */
int sp_content_sources(const char *dir, const char *root, struct sp_sources *s, char *err,
    size_t errlen);

/* Free what sp_content_sources filled in. */
void sp_content_sources_free(struct sp_sources *s);

/* The source with this source_id, or NULL. */
const struct sp_src *sp_content_source(const struct sp_sources *s, const char *source_id);

/* True when slug is a valid slug: "/"-separated segments of letters
 * (ASCII, or any non-ASCII character but U+0080-U+00A0), digits, ".",
 * "_" and "-", each starting with a letter or digit; or the empty slug,
 * a source's index page (as upstream). slug is UTF-8. */
int sp_slug_ok(const char *slug);

/* Parse one markdown file of source src (rel: its path inside the
 * source directory, for the default slug; "file_path" is the source's
 * path, "/", rel) into row data, or NULL with "LINE:COLUMN: reason" in
 * err. */
json_t *sp_content_parse(const char *buf, size_t n, const struct sp_src *src, const char *rel,
    char *err, size_t errlen);

/* Scan every enabled source below dir: one content row record (with a
 * "path" relative to dir) per *.md file, sources in config order (or
 * bytewise), each directory in bytewise name order. A slug used twice in one
 * source is reported naming both files. Returns as sp_skills_scan. */
int sp_content_scan(const char *dir, const struct sp_scan_cb *cb, char *err, size_t errlen);

/* As sp_content_scan, with the services root given (NULL: dir's parent).
 * An enabled source whose directory is missing, a page whose kind its
 * source does not allow, and a path read the older way go to cb->warn. */
int sp_content_scan_in(const char *dir, const char *root, const struct sp_scan_cb *cb, char *err,
    size_t errlen);

/* The markdown text of row data (frontmatter + body), malloc'd, or NULL
 * with a reason in err. */
char *sp_content_render(const struct sp_sources *s, json_t *data, size_t *len, char *err,
    size_t errlen);

/* Where a row goes when nothing on disk says otherwise:
 * "SOURCE-PATH/SLUG.md", or "SOURCE-PATH/SLUG/index.md" with dirs set,
 * "SOURCE-PATH/index.md" for the empty slug (malloc'd), or NULL with a
 * reason in err. */
char *sp_content_default_rel(const struct sp_sources *s, json_t *data, int dirs, char *err,
    size_t errlen);

#endif
