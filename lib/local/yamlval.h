/* yamlval.h - YAML documents <-> jansson values, keeping YAML types. */
#ifndef SP_YAMLVAL_H
#define SP_YAMLVAL_H

#include <stddef.h>
#include <jansson.h>

/* Where a YAML error or a value is: 1-based line and column. */
struct sp_yaml_mark {
	unsigned long line, column;
};

/* Parse buf[0..n) as one YAML document (libyaml) into a jansson value:
 * mappings -> objects (duplicate keys refused, scalar keys as their
 * text), sequences -> arrays, plain scalars resolved by the YAML 1.2 core
 * schema (null, true/false, integers incl. 0x/0o, floats), quoted scalars
 * -> strings; anchors and aliases resolved; the core tags !!str !!int
 * !!float !!bool !!null !!map !!seq honoured, other tags refused, as are
 * .inf/.nan, integers beyond 64 bits and NUL characters. An empty
 * document gives null. line0 is added to every line number (the line the
 * text starts on in its file, minus one). When marks is not NULL and the
 * document is a mapping, *marks gets an object mapping each top-level key
 * to [line, column] of its value. On error returns NULL with
 * "LINE:COLUMN: reason" in err, never dies. */
json_t *sp_yaml_load(const char *buf, size_t n, unsigned long line0, json_t **marks,
    char *err, size_t errlen);

/* The [line, column] of top-level key in marks as a mark (0:0 if unknown). */
struct sp_yaml_mark sp_yaml_mark_of(json_t *marks, const char *key);

/* The mark of a key up to three levels deep (k2, k3 may be NULL): the
 * value of k1.k2.k3, when no sequence lies on the way (0:0 if unknown). */
struct sp_yaml_mark sp_yaml_mark_in(json_t *marks, const char *k1, const char *k2, const char *k3);

/* Render v (an object) as a YAML block mapping, deterministically:
 * top-level keys in the object's order (sorted too with sort_top), nested keys sorted
 * bytewise, strings quoted exactly when a plain scalar would read back as
 * another type, multi-line strings as literal blocks, floats in their
 * shortest round-trip form, UTF-8 unescaped, no line folding. Returns a
 * malloc'd NUL-terminated text (length in *len), or NULL with a reason in
 * err. sp_yaml_load of the result gives v back. */
char *sp_yaml_dump(json_t *v, int sort_top, size_t *len, char *err, size_t errlen);

/* True when the plain scalar s[0..n) would not read back as a string. */
int sp_yaml_plain_is_special(const char *s, size_t n);

#endif
