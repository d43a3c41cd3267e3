/* cloud_dbapi.c - the database endpoints of sp-cloudd: import a
 * DatabaseExport document into the tenant's schema in one transaction,
 * export it back. (Waiting for the db library: sp_db_init, import, export.) */
#include <stdlib.h>
#include <string.h>

#include "cloud_pg.h"
#include "cloud_srv.h"
#include "err.h"

int
cloud_rows_init(PGconn *c, const char *schema, char *err, size_t errlen)
{
	char *q = PQescapeIdentifier(c, schema, strlen(schema)), *sql;
	int rc;

	if (!q) {
		cloud_pg_error(c, NULL, err, errlen);
		return -1;
	}
	sql = sp_asprintf("CREATE SCHEMA IF NOT EXISTS %s", q);
	PQfreemem(q);
	rc = cloud_pg_cmd(c, err, errlen, sql);
	free(sql);
	return rc;
}

void
cloud_db_import(struct cloud_call *k)
{
	cloud_reply_error(k, 501, "database import is not built yet");
}

void
cloud_db_export(struct cloud_call *k)
{
	cloud_reply_error(k, 501, "database export is not built yet");
}
