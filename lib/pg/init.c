/* init.c - the schema SQL (lib/pg/schema.sql, embedded at build time)
 * and sp_db_init, which applies it. */
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "core/strbuf.h"
#include "pg/init.h"
#include "pg/pg.h"

/* lib/pg/schema.sql, embedded at build time (make runs from the top directory). */
__asm__(".section .rodata\n"
    ".global sp_schema_sql\n"
    ".type sp_schema_sql, @object\n"
    "sp_schema_sql:\n"
    ".incbin \"lib/pg/schema.sql\"\n"
    ".byte 0\n"
    ".size sp_schema_sql, . - sp_schema_sql\n"
    ".previous\n");

int
sp_db_init(PGconn *c, const char *schema, char *err, size_t errlen)
{
	struct sp_strbuf sql = {0};
	char id[512];
	int code;

	if (!schema)
		schema = "public";
	if (strlen(schema) > 63) {
		snprintf(err, errlen, "schema name too long: %.80s", schema);
		return SP_EX_USAGE;
	}
	if (PQtransactionStatus(c) != PQTRANS_IDLE) {
		snprintf(err, errlen, "sp_db_init: the connection is inside a transaction");
		return SP_EX_SOFTWARE;
	}
	sp_pg_ident(schema, id, sizeof id);
	sp_strbuf_printf(&sql, "BEGIN; SELECT pg_advisory_xact_lock(hashtext('sp schema')); "
	    "SET LOCAL client_min_messages = warning; CREATE SCHEMA IF NOT EXISTS %s; "
	    "SET LOCAL search_path = %s, pg_catalog;\n", id, id);
	sp_strbuf_puts(&sql, sp_schema_sql);
	sp_strbuf_puts(&sql, "\n;COMMIT;");
	if (sql.oom) {
		snprintf(err, errlen, "out of memory");
		code = SP_EX_SOFTWARE;
	} else {
		code = sp_pg_exec(c, sql.p, "applying the schema", err, errlen);
	}
	sp_pg_rollback(c);
	sp_strbuf_free(&sql);
	return code;
}
