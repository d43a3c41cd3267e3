/* rowmap.h - YAML mapping (config, frontmatter) <-> row columns + metadata. */
#ifndef SP_ROWMAP_H
#define SP_ROWMAP_H

#include <stddef.h>
#include <jansson.h>

enum sp_coltype {
	SP_COL_TEXT,	/* any scalar, kept as its text; null */
	SP_COL_BOOL,	/* true/false (never null) */
	SP_COL_TAGS,	/* list of scalars as text[]; null reads as [] */
	SP_COL_TIME,	/* date or date-time, normalised RFC 3339 UTC; null */
};

struct sp_colspec {
	const char *key;	/* field name on disk */
	const char *col;	/* column name in the row */
	enum sp_coltype type;
};

/* The value a column gets when its field is absent on disk: null, true
 * for booleans, [] for tags (def overrides when not NULL). */
json_t *sp_col_absent(const struct sp_colspec *c, json_t *def);

/* Move every field of map named in cols[0..n) into data as its column,
 * converted to the column type; absent fields get sp_col_absent (defs,
 * an object column -> default, may be NULL). What stays in map is the
 * metadata. marks (from sp_yaml_load) locate errors. Returns 0, or -1
 * with "LINE:COLUMN: field: reason" in err. */
int sp_rowmap_take(const struct sp_colspec *cols, size_t n, json_t *map, json_t *marks,
    json_t *defs, json_t *data, char *err, size_t errlen);

/* The mapping to write for a row: the fields of cols[0..n) in that order,
 * each omitted when its value is what absence would give (but fields in
 * always[] are always written), then the keys of metadata (except those
 * in skip[]) in bytewise order. Returns a new object, or NULL with a
 * reason in err (a metadata key that is also a field, a value of the
 * wrong type). */
json_t *sp_rowmap_give(const struct sp_colspec *cols, size_t n, json_t *data, json_t *defs,
    const char *const *always, const char *const *skip, char *err, size_t errlen);

#endif
