/* ndjson.h - newline-delimited JSON records on jansson (sp(7) "RECORDS"). */
#ifndef SP_NDJSON_H
#define SP_NDJSON_H

#include <stdio.h>
#include <jansson.h>

struct sp_reader {
	FILE *fp;
	char *name;		/* file name for messages; "<stdin>" for stdin */
	unsigned long line;	/* line number of the record last returned */
	char *buf;
	size_t cap;
};

/* The longest record line read (64 MiB): a longer one is an error. */
#define SP_RECORD_MAX (64LL << 20)

/* getline(3) with a bound: the line (with its newline) in *buf, its
 * length, -1 at the end of input or on a read error (ferror says), -2
 * when it runs past max bytes (what was read of it is dropped). */
ssize_t sp_getline_max(char **buf, size_t *cap, FILE *fp, size_t max);

/* Open path for reading records; NULL or "-" is stdin. Dies 66 when the
 * file cannot be opened. */
struct sp_reader *sp_reader_open(const char *path);

/* Wrap an already open stream; name is used in messages. */
struct sp_reader *sp_reader_fdopen(FILE *fp, const char *name);

/* The next record, a JSON object (caller owns the reference), or NULL at
 * end of input. Blank lines are skipped. Dies 65 with "name:line: reason"
 * on malformed JSON, a non-object, an embedded NUL, invalid UTF-8, a
 * record without a string "type" or one over SP_RECORD_MAX; dies 74 on a
 * read error. */
json_t *sp_reader_next(struct sp_reader *r);

/* Die 65 with "name:line: message" about the record last returned. */
void sp_reader_die(struct sp_reader *r, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 2, 3)));

/* "name:line" of the record last returned, in a static buffer. */
const char *sp_reader_where(struct sp_reader *r);

/* Close the input (not stdin) and free the reader. */
void sp_reader_close(struct sp_reader *r);

/* Parse one record from s[0..n); on failure returns NULL and puts a reason
 * in why (size at least 160). Rules as sp_reader_next. */
json_t *sp_record_parse(const char *s, size_t n, char *why, size_t whylen);

/* Write obj as one compact JSON line on fp; dies 74 on a write error. */
void sp_write_record(FILE *fp, json_t *obj);

/* Write obj and drop the caller's reference. */
void sp_emit(json_t *obj);

/* The record's "type" string, or "" when it has none. */
const char *sp_record_type(json_t *rec);

#endif
