/* export.c - stream tables out as row data, one snapshot, flat memory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/strbuf.h"
#include "db/tables.h"
#include "db/types.h"
#include "pg/export.h"
#include "pg/pg.h"

/* Stop the running query and swallow what is left of it. */
static void
cancel_and_drain(PGconn *c)
{
	PGcancel *cn = PQgetCancel(c);
	char buf[256];
	PGresult *r;

	if (cn) {
		PQcancel(cn, buf, sizeof buf);
		PQfreeCancel(cn);
	}
	while ((r = PQgetResult(c)))
		PQclear(r);
}

static int
export_table(PGconn *c, const char *sch, const struct sp_dbtable *t, const char *where,
    sp_db_row_fn fn, void *arg, struct sp_strbuf *row, char *err, size_t errlen)
{
	struct sp_strbuf sql = {0};
	char what[96], why[256];
	PGresult *r;
	int i, code = 0, done = 0;

	snprintf(what, sizeof what, "exporting %s", t->name);
	sp_strbuf_puts(&sql, "SELECT ");
	for (i = 0; i < t->ncols; i++)
		sp_strbuf_printf(&sql, "%s\"%s\"", i ? ", " : "", t->cols[i].name);
	sp_strbuf_printf(&sql, " FROM %s.\"%s\"", sch, t->name);
	if (where)
		sp_strbuf_printf(&sql, " WHERE (%s)", where);
	sp_strbuf_puts(&sql, " ORDER BY id");
	if (sql.oom) {
		sp_strbuf_free(&sql);
		snprintf(err, errlen, "out of memory");
		return SP_EX_SOFTWARE;
	}
	/* the extended protocol runs exactly one statement: --where cannot smuggle in another */
	if (!PQsendQueryParams(c, sql.p, 0, NULL, NULL, NULL, NULL, 1) || !PQsetSingleRowMode(c)) {
		sp_strbuf_free(&sql);
		return sp_pg_error(c, NULL, what, err, errlen);
	}
	sp_strbuf_free(&sql);
	while (!done && (r = PQgetResult(c))) {
		switch (PQresultStatus(r)) {
		case PGRES_SINGLE_TUPLE:
			sp_strbuf_reset(row);
			sp_strbuf_putc(row, '{');
			for (i = 0; i < t->ncols && !code; i++) {
				sp_strbuf_putc(row, i ? ',' : '"');
				if (i)
					sp_strbuf_putc(row, '"');
				sp_strbuf_puts(row, t->cols[i].name);
				sp_strbuf_puts(row, "\":");
				if (PQgetisnull(r, 0, i))
					sp_strbuf_puts(row, "null");
				else if (sp_dbval_to_json(row, t->cols[i].type, PQgetvalue(r, 0, i),
				    (size_t)PQgetlength(r, 0, i), why, sizeof why)) {
					snprintf(err, errlen, "%s.%s: %s", t->name, t->cols[i].name, why);
					code = SP_EX_SOFTWARE;
				}
			}
			sp_strbuf_putc(row, '}');
			if (!code && row->oom) {
				snprintf(err, errlen, "out of memory");
				code = SP_EX_SOFTWARE;
			}
			if (!code)
				code = fn(arg, t->name, row->p, row->len, err, errlen);
			break;
		case PGRES_TUPLES_OK:
			break;
		default:
			code = sp_pg_error(c, r, what, err, errlen);
			if (where && code != SP_EX_UNAVAILABLE) {
				const char *st = PQresultErrorField(r, PG_DIAG_SQLSTATE);

				if (st && !strncmp(st, "42", 2)) {
					char m[1024];

					snprintf(m, sizeof m, "%s", err);
					snprintf(err, errlen, "bad --where condition: %s", m);
					code = SP_EX_USAGE;
				}
			}
			done = 1;
		}
		PQclear(r);
		if (code) {
			cancel_and_drain(c);
			return code;
		}
	}
	return 0;
}

int
sp_db_export(PGconn *c, const struct sp_dbexport_opts *o, sp_db_row_fn fn, void *arg,
    char *err, size_t errlen)
{
	struct sp_strbuf row = {0};
	int want[16] = {0}, i, code = 0, own;
	char sch[160];

	if (strlen(o->schema ? o->schema : "") > 63) {
		snprintf(err, errlen, "schema name too long");
		return SP_EX_USAGE;
	}
	sp_pg_ident(o->schema ? o->schema : "public", sch, sizeof sch);
	for (i = 0; o->tables && o->tables[i]; i++) {
		const struct sp_dbtable *t = sp_db_table(o->tables[i]);

		if (!t)
			t = sp_db_doc_table(o->tables[i]);
		if (!t) {
			snprintf(err, errlen, "unknown table \"%.64s\" (tables: agents, users, "
			    "agent_skills, contexts, content)", o->tables[i]);
			return SP_EX_USAGE;
		}
		want[sp_db_table_index(t)] = 1;
	}
	if (!o->tables)
		for (i = 0; i < sp_db_ntables; i++)
			want[i] = 1;
	if (PQsetClientEncoding(c, "UTF8"))
		return sp_pg_error(c, NULL, "set client_encoding", err, errlen);
	own = PQtransactionStatus(c) == PQTRANS_IDLE;
	if (own && (code = sp_pg_exec(c, "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY",
	    "begin", err, errlen)))
		return code;
	for (i = 0; i < sp_db_ntables && !code; i++)
		if (want[i])
			code = export_table(c, sch, &sp_db_tables[i], o->where, fn, arg, &row, err, errlen);
	if (own) {
		if (code)
			sp_pg_rollback(c);
		else
			code = sp_pg_exec(c, "COMMIT", "commit", err, errlen);
	}
	sp_strbuf_free(&row);
	return code;
}
