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
	int enabled;
};

struct sp_sources {
	struct sp_src *v;
	size_t n;
	int from_config;	/* listed in config.yaml rather than found */
};

/* The content sources of the tree dir: "content_sources" of
 * dir/config.yaml (or config.yml) when present, else every subdirectory.
 * Returns 0, or an SP_EX_* code with "PATH:LINE:COLUMN: reason" in err. */
int sp_content_sources(const char *dir, struct sp_sources *s, char *err, size_t errlen);

/* Free what sp_content_sources filled in. */
void sp_content_sources_free(struct sp_sources *s);

/* The source with this source_id, or NULL. */
const struct sp_src *sp_content_source(const struct sp_sources *s, const char *source_id);

/* True when slug is a valid slug: "/"-separated segments of letters
 * (ASCII, or any non-ASCII character but U+0080-U+00A0), digits, ".",
 * "_" and "-", each starting with a letter or digit. slug is UTF-8. */
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

/* The markdown text of row data (frontmatter + body), malloc'd, or NULL
 * with a reason in err. */
char *sp_content_render(const struct sp_sources *s, json_t *data, size_t *len, char *err,
    size_t errlen);

/* Where a row goes when nothing on disk says otherwise:
 * "SOURCE-PATH/SLUG.md" (malloc'd), or NULL with a reason in err. */
char *sp_content_default_rel(const struct sp_sources *s, json_t *data, char *err, size_t errlen);

#endif
