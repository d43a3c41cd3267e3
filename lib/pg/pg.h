/* pg.h - PostgreSQL connections and errors for the database tools and
 * sp-cloudd: nothing here calls sp_die; failures come back as an exit
 * status (sp(7) "EXIT STATUS") and a message. */
#ifndef SP_PG_H
#define SP_PG_H

#include <stddef.h>
#include <libpq-fe.h>

/* The connection string to use: DATABASE_URL, else the local database of
 * the embedded environment that sp-env(1) keeps in $SP_ENV_DIR or ./.sp.
 * Returns a malloc'd string, or NULL with a message in err (exit 78). */
char *sp_pg_conninfo(char *err, size_t errlen);

/* Connect and prepare the session (sp_pg_session); 0 and *out, or an exit
 * status: 69 server unreachable, 77 authentication failed, 78 no such
 * database or role, 70 otherwise. The message never holds the password. */
int sp_pg_connect(const char *conninfo, PGconn **out, char *err, size_t errlen);

/* Prepare a connection for sp: client_encoding UTF8, TimeZone UTC,
 * DateStyle ISO. 0 or an exit status with a message. */
int sp_pg_session(PGconn *c, char *err, size_t errlen);

/* The exit status for a failed result r (NULL: the connection failed), by
 * SQLSTATE: 65 for bad data and constraint violations, 69 for a lost or
 * refused connection, 75 for deadlocks, serialization failures and
 * exhausted resources, 77 for permission errors, 78 for a missing schema,
 * table, database or role, 70 for the rest. Puts "what: message (detail)"
 * into err; what NULL: the message alone (sp-cloudd's), without the
 * tools' hint at sp-dbimport --init for a missing table. */
int sp_pg_error(PGconn *c, const PGresult *r, const char *what, char *err, size_t errlen);

/* Run sql (no parameters, no rows wanted; several statements allowed);
 * 0 or an exit status with a message naming what. */
int sp_pg_exec(PGconn *c, const char *sql, const char *what, char *err, size_t errlen);

/* Run sql with n text parameters: the result when its status is
 * PGRES_COMMAND_OK or PGRES_TUPLES_OK (the caller clears it), else NULL
 * with sp_pg_error's message in err. */
PGresult *sp_pg_query(PGconn *c, const char *sql, int n, const char *const *params,
    const char *what, char *err, size_t errlen);

/* As sp_pg_query for the prepared statement stmt. */
PGresult *sp_pg_prepared(PGconn *c, const char *stmt, int n, const char *const *params,
    const char *what, char *err, size_t errlen);

/* True when the connection is gone (none, or broken). */
int sp_pg_lost(PGconn *c);

/* Roll back whatever transaction the connection is in, ignoring errors
 * (used on every failure path so that nothing half-done stays). */
void sp_pg_rollback(PGconn *c);

/* Quote name as an SQL identifier into buf (size at least 2*len+3);
 * returns buf. */
char *sp_pg_ident(const char *name, char *buf, size_t bufsize);

#endif
