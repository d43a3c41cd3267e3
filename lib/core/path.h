/* path.h - relative tree paths in records: encoding and safety checks. */
#ifndef SP_PATH_H
#define SP_PATH_H

#include <stddef.h>
#include <jansson.h>

/* True when s[0..n) is well-formed UTF-8 (no overlongs, no surrogates). */
int sp_utf8_valid(const char *s, size_t n);

/* The length in bytes of the control character at s: 1 for C0 (0x01-0x1f)
 * and DEL, 2 for a C1 one in UTF-8 (U+0080-U+009F, CSI among them), else
 * 0. */
int sp_ctl_len(const char *s);

/* Why file name s cannot name a row (not UTF-8, which a database text
 * cannot hold, or a control character, which sp archives refuse), as
 * "is not valid UTF-8"; NULL when it can. */
const char *sp_name_unfit(const char *s);

/* Copy s into out[n] (always terminated, cut short when full) with what
 * must not reach a terminal shown as \xHH: control characters but for
 * newline and tab, C1 controls, and bytes that are not UTF-8. */
void sp_show(const char *s, char *out, size_t n);

/* Why p is not a clean relative tree path, or NULL when it is: it must be
 * non-empty, not absolute, without empty, "." or ".." components and
 * without a trailing "/". With strict, control characters (0x01-0x1f,
 * 0x7f) are refused as well. */
const char *sp_path_unsafe(const char *p, int strict);

/* The raw bytes of a name field of rec (malloc'd, NUL-terminated): the
 * "KEY_b64" field when present (names that are not UTF-8), else "KEY".
 * Returns NULL and sets *why when the field is missing or unusable. */
char *sp_record_name(json_t *rec, const char *key, const char **why);

/* Set field key on rec from raw bytes; a name that is not valid UTF-8 gets
 * a lossless "KEY_b64" (base64 of the bytes) and a readable "KEY" with
 * U+FFFD for each bad byte. */
void sp_record_set_name(json_t *rec, const char *key, const char *bytes);

/* The "path" of a file record, as sp_record_name. */
#define sp_record_path(rec, why) sp_record_name((rec), "path", (why))
#define sp_record_set_path(rec, bytes) sp_record_set_name((rec), "path", (bytes))

/* Base64 (RFC 4648, padded) of p[0..n), malloc'd. */
char *sp_b64_encode(const void *p, size_t n);

/* Decode base64 s into a malloc'd buffer (NUL-terminated) and *n; NULL on
 * malformed input. */
char *sp_b64_decode(const char *s, size_t *n);

/* Join dir and a relative path with one "/" (malloc'd). */
char *sp_path_join(const char *dir, const char *rel);

#endif
