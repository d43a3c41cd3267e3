/* jsonout.h - compact JSON text from jansson values (no libpq: every
 * tool writes its records with it). */
#ifndef SP_JSONOUT_H
#define SP_JSONOUT_H

#include <stddef.h>
#include <jansson.h>

#include "core/strbuf.h"

/* Append s[0..n) as a JSON string literal: '"', '\\', and control
 * characters escaped as PostgreSQL's to_json does; other bytes as they are. */
void sp_json_quote(struct sp_strbuf *b, const char *s, size_t n);

/* Append v as compact JSON. Unlike json_dumps, a real is written in the
 * shortest form that reads back as the same double (0.1, not
 * 0.10000000000000001), so numbers survive any number of round trips.
 * 0, or -1 for a string with an embedded NUL. */
int sp_json_dump(struct sp_strbuf *b, json_t *v);

#endif
