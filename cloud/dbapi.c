/* dbapi.c - the database endpoints of sp-cloudd: import a
 * DatabaseExport document into the tenant's schema and export it back,
 * with the db library's code (sp_db_import validates every row before it
 * touches the database, then applies them in one transaction). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cloud/call.h"
#include "cloud/endpoints.h"
#include "cloud/pool.h"
#include "cloud/store.h"
#include "core/err.h"
#include "core/fsutil.h"
#include "db/doc.h"
#include "db/types.h"
#include "db/tables.h"
#include "pg/export.h"
#include "pg/import.h"
#include "pg/init.h"

/* sp_docr_next_item, refusing timestamps outside RFC 3339: the API's
 * document is RFC 3339, and another client of it could not read them. */
static int
strict_next(void *r, json_t **rec, int *del, char *err, size_t errlen)
{
	char why[256];
	int rc = sp_docr_next_item(r, rec, del, err, errlen);

	if (rc == 1 && sp_db_row_rfc3339(*rec, why, sizeof why)) {
		json_decref(*rec);
		*rec = NULL;
		snprintf(err, errlen, "%s: %s", sp_docr_where(r), why);
		return SP_EX_DATAERR;
	}
	return rc;
}

/* Reply to a failed db library call by its exit status. */
static void
reply_status(struct cloud_call *k, int rc, const char *what, const char *err)
{
	switch (rc) {
	case SP_EX_DATAERR:
		cloud_reply_error(k, 400, "%s: %s", what, err);
		break;
	case SP_EX_UNAVAILABLE:
	case SP_EX_TEMPFAIL:
		k->retry_after = 1;
		cloud_log_unavailable(k->srv, err);
		cloud_reply_error(k, 503, "%s: database unavailable", what);
		break;
	default:
		if (!k->srv->cfg.quiet)
			sp_warn("tenant %s: %s: %s", k->tenant, what, err);
		cloud_reply_error(k, 500, "%s: %s", what, err);
	}
}

/* The tenant's row schema, or NULL after replying. */
static PGconn *
tenant_conn(struct cloud_call *k, char *schema)
{
	char err[512];
	PGconn *c = cloud_conn(k);
	int rc;

	if (!c)
		return NULL;
	rc = cs_tenant_get(c, k->tenant, schema, err, sizeof err);
	if (rc != CS_OK) {
		cloud_reply_store(k, c, rc, err);
		cloud_conn_done(k, c);
		return NULL;
	}
	return c;
}

void
cloud_db_import(struct cloud_call *k)
{
	char schema[CS_SCHEMA_MAX], err[1024];
	struct sp_dbimport_opts o;
	struct sp_docr *r;
	json_t *counts = NULL;
	PGconn *c;
	FILE *fp;
	int fd, rc;

	if ((fd = fcntl(k->body_fd, F_DUPFD_CLOEXEC, 0)) < 0 || !(fp = fdopen(fd, "r"))) {
		if (fd >= 0)
			close(fd);
		cloud_reply_error(k, 500, "reading the body: %s", strerror(errno));
		return;
	}
	if (!(r = sp_docr_new(sp_docr_read_file, fp))) {
		fclose(fp);
		cloud_reply_error(k, 500, "out of memory");
		return;
	}
	sp_docr_max_row(r, (size_t)k->srv->cfg.max_row);
	sp_docr_allow_delete(r, 1);	/* sp's pushes with --delete */
	if ((c = tenant_conn(k, schema))) {
		memset(&o, 0, sizeof o);
		o.schema = schema;
		o.next = strict_next;
		o.arg = r;
		o.where = sp_docr_where;
		rc = sp_db_import(c, &o, &counts, err, sizeof err);
		if (rc)
			reply_status(k, rc, "import", err);
		else
			cloud_reply_json(k, 200, counts);
		cloud_conn_done(k, c);
	}
	sp_docr_free(r);
	fclose(fp);
}

static int
to_fd(void *arg, const char *buf, size_t n)
{
	return sp_write_all(*(int *)arg, buf, n);
}

static int
add_row(void *arg, const char *table, const char *json, size_t len, char *err, size_t errlen)
{
	return sp_docw_row_json(arg, table, json, len, err, errlen);
}

void
cloud_db_export(struct cloud_call *k)
{
	char schema[CS_SCHEMA_MAX], err[1024];
	struct sp_dbexport_opts o;
	struct sp_docw *w;
	struct stat st;
	PGconn *c;
	int fd, rc;

	if (!(c = tenant_conn(k, schema)))
		return;
	/* the document goes to an unlinked spool file, then out by sendfile */
	if ((fd = cloud_spool_anon(k, "export")) < 0) {
		cloud_conn_done(k, c);
		return;
	}
	if (!(w = sp_docw_new(to_fd, &fd))) {
		close(fd);
		cloud_conn_done(k, c);
		cloud_reply_error(k, 500, "out of memory");
		return;
	}
	memset(&o, 0, sizeof o);
	o.schema = schema;
	rc = sp_db_export(c, &o, add_row, w, err, sizeof err);
	cloud_conn_done(k, c);
	if (!rc)
		rc = sp_docw_finish(w, NULL, err, sizeof err);
	sp_docw_free(w);
	if (!rc && (fstat(fd, &st) != 0 || lseek(fd, 0, SEEK_SET) != 0)) {
		snprintf(err, sizeof err, "spool: %s", strerror(errno));
		rc = SP_EX_IOERR;
	}
	if (rc) {
		close(fd);
		reply_status(k, rc, "export", err);
		return;
	}
	k->status = 200;
	k->fd = fd;
	k->fdsize = st.st_size;
	k->ctype = "application/json";
}
