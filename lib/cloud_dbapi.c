/* cloud_dbapi.c - the database endpoints of sp-cloudd: import a
 * DatabaseExport document into the tenant's schema in one transaction,
 * export it back. (Waiting for the db library: sp_db_init, import, export.) */
#include "cloud_srv.h"

int
cloud_rows_init(PGconn *c, const char *schema, char *err, size_t errlen)
{
	(void)c, (void)schema, (void)err, (void)errlen;
	return 0;
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
