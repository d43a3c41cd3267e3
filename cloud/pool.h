/* pool.h - sp-cloudd's connections: how it connects, and a small pool
 * shared by the server's threads. Nothing here exits. Statements run
 * through lib/pg's sp_pg_* helpers (pg/pg.h), as in the tools. */
#ifndef SP_CLOUD_PG_H
#define SP_CLOUD_PG_H

#include <stddef.h>
#include <libpq-fe.h>

#include "pg/pg.h"

/* Open a connection to conninfo (a libpq keyword string or URI) with
 * application_name sp-cloudd. Returns it, or NULL with a message in err
 * (an empty conninfo says that DATABASE_URL or -d is missing). */
PGconn *cloud_pool_connect(const char *conninfo, char *err, size_t errlen);

struct cloud_pool;

/* A pool of at most size connections to conninfo, opened on demand; each
 * new connection is passed to setup (prepare statements) before use. */
struct cloud_pool *cloud_pool_new(const char *conninfo, int size,
    int (*setup)(PGconn *c, char *err, size_t errlen));

/* Bound the wait for a free connection (default 5 s) and the time one
 * may stay checked out (deadline, 0: none; a watchdog thread shuts down
 * the socket of one past it, so that a database that stopped answering
 * fails the call blocked on it). */
void cloud_pool_limits(struct cloud_pool *p, double wait, double deadline);

/* Take a connection, waiting while all are busy (waiters are served in
 * the order they came) for at most the pool's wait. NULL with err set
 * when none came free in time or a new connection cannot be opened
 * (libpq's connect_timeout defaults to 5 s, TCP keepalives on). */
PGconn *cloud_pool_get(struct cloud_pool *p, char *err, size_t errlen);

/* Give a connection back: a broken one is closed (reopened on demand), an
 * open transaction is rolled back. */
void cloud_pool_put(struct cloud_pool *p, PGconn *c);

/* Close every connection and free the pool (no connection may be out). */
void cloud_pool_free(struct cloud_pool *p);

#endif
