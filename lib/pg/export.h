/* export.h - stream the synchronised tables out as row data, in primary
 * key order, from one snapshot, in constant memory. Never calls sp_die. */
#ifndef SP_DBEXPORT_H
#define SP_DBEXPORT_H

#include <stddef.h>
#include <libpq-fe.h>

/* Called for each row with its table's SQL name and the row's data as
 * compact JSON text json[0..len) ({"id":…,…}: uuid as a string, text[] as
 * an array, jsonb as JSON, timestamptz as RFC 3339 UTC, NULL as null; keys
 * in table column order). Return 0 to go on, or an exit status (with a
 * message in err) to stop the export with it. */
typedef int (*sp_db_row_fn)(void *arg, const char *table, const char *json, size_t len,
    char *err, size_t errlen);

struct sp_dbexport_opts {
	const char *schema;		/* NULL: public */
	const char *const *tables;	/* NULL-terminated SQL or document names; NULL: all */
	const char *where;		/* SQL condition applied to every table, or NULL */
};

/* Export the tables (always in foreign-key order, each at most once) in a
 * REPEATABLE READ READ ONLY transaction of its own when the connection is
 * idle (so every table comes from one snapshot), else inside the caller's
 * transaction. Rows arrive in single-row mode, so memory stays flat. 0, or
 * an exit status (65 bad --where, 69 connection lost, 78 unknown table or
 * schema missing, or fn's status) with a message. */
int sp_db_export(PGconn *c, const struct sp_dbexport_opts *o, sp_db_row_fn fn, void *arg,
    char *err, size_t errlen);

#endif
