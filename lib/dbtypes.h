/* dbtypes.h - row values between JSON (row records, SPEC section 2) and
 * PostgreSQL's binary wire format, exactly and without calling sp_die. */
#ifndef SP_DBTYPES_H
#define SP_DBTYPES_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "dbschema.h"
#include "jsonout.h"
#include "strbuf.h"

/* Microseconds since 2000-01-01 00:00:00 UTC (PostgreSQL's timestamptz);
 * these two mean 'infinity' and '-infinity'. */
#define SP_TS_INFINITY INT64_MAX
#define SP_TS_NINFINITY INT64_MIN

/* Parse a UUID "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (hex, any case) into
 * 16 bytes; 0, or -1 when s is not one. */
int sp_uuid_parse(const char *s, unsigned char out[16]);

/* Format 16 bytes as a lowercase UUID string (37 bytes with the NUL). */
void sp_uuid_format(const unsigned char in[16], char out[37]);

/* Parse an RFC 3339 date-time ("2026-11-23T19:22:00.5+01:00", 'T' or a
 * space, 'Z' or an offset; years 0001-9999; a bare date is midnight UTC;
 * "infinity"/"-infinity") into microseconds since 2000 UTC, rounding
 * digits beyond the sixth. 0, or -1 with *why set. */
int sp_ts_parse(const char *s, int64_t *out, const char **why);

/* Format microseconds since 2000 as RFC 3339 in UTC with 'T' and 'Z',
 * fractional seconds without trailing zeros ("2026-11-23T18:22:00.12Z").
 * out needs 40 bytes. */
void sp_ts_format(int64_t us, char *out);


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

#endif
