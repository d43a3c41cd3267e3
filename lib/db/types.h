/* types.h - row values between JSON (row records, sp(7) "RECORDS") and
 * PostgreSQL's binary wire format, exactly and without calling sp_die. */
#ifndef SP_DBTYPES_H
#define SP_DBTYPES_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "core/strbuf.h"
#include "db/tables.h"
#include "rec/jsonout.h"

/* Append JSON text s[0..n) with the whitespace outside strings removed
 * (PostgreSQL's jsonb output has blanks after ':' and ','). */
void sp_json_compact(struct sp_strbuf *b, const char *s, size_t n);

/* Append the COPY BINARY field (int32 length, then the bytes; -1 for
 * NULL) of JSON value v for a column of this type. 0, or -1 with a reason
 * in why ("expected a string", ...). JSON null is SQL NULL. */
int sp_dbval_to_copy(struct sp_strbuf *b, enum sp_dbtype type, json_t *v, char *why, size_t whylen);

/* Append the JSON text of a binary-format value p[0..n) of this type
 * (uuid, text, bool, jsonb, text[], timestamptz). 0, or -1 with a reason. */
int sp_dbval_to_json(struct sp_strbuf *b, enum sp_dbtype type, const char *p, size_t n, char *why, size_t whylen);

/* Why a row record's timestamps cannot travel as RFC 3339 (a year past
 * 9999 or before 1, or infinity, which PostgreSQL holds and sp's own
 * records carry as ISO 8601 expanded years), into why; NULL when they can
 * or the record is not a row of a known table. */
const char *sp_db_row_rfc3339(json_t *rec, char *why, size_t whylen);

#endif
