/* import.h - load row records into the synchronised tables: validate
 * everything first, then one transaction (COPY into temporary tables, one
 * INSERT ... ON CONFLICT (id) DO UPDATE ... WHERE the row differs per
 * table and column set, deletes), with exact counts. Never calls sp_die:
 * sp-cloudd runs it in request threads. */
#ifndef SP_DBIMPORT_H
#define SP_DBIMPORT_H

#include <stddef.h>
#include <jansson.h>
#include <libpq-fe.h>

#include "core/strbuf.h"

struct sp_dbimport;

/* A new, empty import (input is spooled to unlinked files in $TMPDIR, so
 * memory does not grow with it). NULL when out of memory. */
struct sp_dbimport *sp_dbimport_new(void);

/* Validate one row record {"type":"row","table":T,"data":{...}} and queue
 * it: an upsert, or with del a delete of data.id (other columns are then
 * ignored). Checks: a known table, "id" a UUID, known columns, each value
 * of its column's type, no null in a NOT NULL column. 0, or 65 with a
 * reason ("agent_skills.tags: expected an array of strings"), 74 when the
 * spool cannot be written, 70 out of memory. Does not take rec. */
int sp_dbimport_add(struct sp_dbimport *im, json_t *rec, int del, char *err, size_t errlen);

/* One validated record in COPY BINARY form, for callers that validate in
 * several threads (sp_dbimport_encode is thread-safe) and queue in order. */
struct sp_dbtuple {
	struct sp_strbuf buf;	/* the encoded tuple is buf.p[off..off+len) */
	size_t off, len;
	int table;		/* index in sp_db_tables */
	unsigned int mask;	/* columns present */
	int del;
};

/* The validation of sp_dbimport_add without queueing: append rec's tuple
 * to tu->buf and describe it in tu. Thread-safe. 0 or 65/70 with a reason. */
int sp_dbimport_encode(json_t *rec, int del, struct sp_dbtuple *tu, char *err, size_t errlen);

/* Queue a tuple made by sp_dbimport_encode. 0, or 65 (too many column
 * sets), 74 (spool), with a message. */
int sp_dbimport_put(struct sp_dbimport *im, const struct sp_dbtuple *tu, char *err, size_t errlen);

/* Apply everything queued to the tables of `schema` (NULL: public) in ONE
 * transaction: upserts table by table in foreign-key order, then deletes
 * in reverse order; with dry_run the same work and then ROLLBACK. Columns
 * absent from a record keep their value on update and get their default
 * on insert; a row equal to the stored one is not rewritten. On success 0
 * and *counts = {"created":N,"updated":N,"unchanged":N,"deleted":N,
 * "tables":{T:{"created":…,"updated":…,"unchanged":…,"deleted":…},…}}
 * (caller owns it). Otherwise an exit status (65 constraint violation or
 * duplicate id, 69 connection lost, 75 deadlock, 78 schema missing, …)
 * and a message, and nothing changed. The connection must not be inside a
 * transaction. Call once. */
int sp_dbimport_apply(struct sp_dbimport *im, PGconn *c, const char *schema, int dry_run,
    json_t **counts, char *err, size_t errlen);

/* Free the import and its spool files. */
void sp_dbimport_free(struct sp_dbimport *im);

/* The next input item for sp_db_import: 1 and *rec (a row record; the
 * import drops the reference) with *del nonzero for a delete, 0 at the
 * end, or an exit status with a message in err to abort the import. */
typedef int (*sp_db_next_fn)(void *arg, json_t **rec, int *del, char *err, size_t errlen);

struct sp_dbimport_opts {
	const char *schema;	/* NULL: public */
	int dry_run;
	sp_db_next_fn next;
	void *arg;
	/* location of the item last returned, for messages ("skills[3]");
	 * NULL: "record N" */
	const char *(*where)(void *arg);
};

/* Read every item from o->next, validating each (a bad one stops with 65
 * and "WHERE: reason" before the database is touched), then apply them as
 * sp_dbimport_apply does. 0 and *counts, or an exit status and a message. */
int sp_db_import(PGconn *c, const struct sp_dbimport_opts *o, json_t **counts, char *err, size_t errlen);

#endif
