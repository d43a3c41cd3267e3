/* init.h - the project's schema, embedded, and the call that applies it. */
#ifndef SP_PG_INIT_H
#define SP_PG_INIT_H

#include <stddef.h>
#include <libpq-fe.h>

/* The schema SQL (lib/pg/schema.sql), NUL-terminated. */
extern const char sp_schema_sql[];

/* Create (idempotently, in one transaction, serialised by an advisory
 * lock so that concurrent callers do not collide) schema `schema` (NULL:
 * public) and the tables in it. The connection must not be inside a
 * transaction. 0, or an exit status with a message (never dies). */
int sp_db_init(PGconn *c, const char *schema, char *err, size_t errlen);

#endif
