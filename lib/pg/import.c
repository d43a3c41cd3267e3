/* import.c - validated, all-or-nothing, exact upserts of row records. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "core/strbuf.h"
#include "core/uuid.h"
#include "db/tables.h"
#include "db/types.h"
#include "pg/import.h"
#include "pg/pg.h"

#define MAXTABLES 8
#define MAXSHAPES 64
#define DELMASK 0xffffffffu	/* _sp_mask of a delete: -1 */

struct shape {
	uint32_t mask;		/* bit i: column i present */
	long long n;
};

struct tstate {
	FILE *spool;		/* COPY BINARY tuples */
	long long upserts, deletes;
	struct shape shapes[MAXSHAPES];
	int nshapes;
	long long created, updated, deleted;
};

struct sp_dbimport {
	struct tstate t[MAXTABLES];
	struct sp_dbtuple tup;
	int applied;
};

struct sp_dbimport *
sp_dbimport_new(void)
{
	return calloc(1, sizeof(struct sp_dbimport));
}

void
sp_dbimport_free(struct sp_dbimport *im)
{
	int i;

	if (!im)
		return;
	for (i = 0; i < MAXTABLES; i++)
		if (im->t[i].spool)
			fclose(im->t[i].spool);
	sp_strbuf_free(&im->tup.buf);
	free(im);
}

/* An unlinked temporary file in $TMPDIR with the COPY BINARY header. */
static FILE *
spool_open(void)
{
	static const char hdr[19] = "PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0";
	const char *dir = getenv("TMPDIR");
	char path[4096];
	FILE *fp;
	int fd;

	snprintf(path, sizeof path, "%s/.sp-tmp.dbimport.XXXXXX", dir && *dir ? dir : "/tmp");
	fd = mkstemp(path);
	if (fd < 0)
		return NULL;
	unlink(path);
	fp = fdopen(fd, "w+");
	if (!fp) {
		close(fd);
		return NULL;
	}
	setvbuf(fp, NULL, _IOFBF, 1 << 18);
	if (fwrite(hdr, 1, sizeof hdr, fp) != sizeof hdr) {
		fclose(fp);
		return NULL;
	}
	return fp;
}

int
sp_dbimport_encode(json_t *rec, int del, struct sp_dbtuple *tu, char *err, size_t errlen)
{
	const struct sp_dbtable *t;
	json_t *vals[32] = {0}, *data, *v;
	const char *tname, *key, *type;
	uint32_t mask = 0;
	char why[256];
	int i, col;

	type = json_string_value(json_object_get(rec, "type"));
	if (!json_is_object(rec) || !type || strcmp(type, "row")) {
		snprintf(err, errlen, "not a row record");
		return SP_EX_DATAERR;
	}
	tname = json_string_value(json_object_get(rec, "table"));
	if (!tname) {
		snprintf(err, errlen, "row record without a \"table\" string");
		return SP_EX_DATAERR;
	}
	if (!(t = sp_db_table(tname))) {
		snprintf(err, errlen, "unknown table \"%.64s\"", tname);
		return SP_EX_DATAERR;
	}
	data = json_object_get(rec, "data");
	if (!json_is_object(data)) {
		snprintf(err, errlen, "%s: row record without a \"data\" object", t->name);
		return SP_EX_DATAERR;
	}
	v = json_object_get(data, "id");
	if (!v || !json_is_string(v) || sp_uuid_parse(json_string_value(v), (unsigned char[16]){0})) {
		snprintf(err, errlen, "%s: \"id\" %s", t->name, v ? "is not a UUID" : "is missing");
		return SP_EX_DATAERR;
	}
	if (del) {
		mask = DELMASK;
		vals[0] = v;
	} else {
		json_object_foreach(data, key, v) {
			if ((col = sp_db_column(t, key)) < 0) {
				snprintf(err, errlen, "%s: unknown column \"%.64s\"", t->name, key);
				return SP_EX_DATAERR;
			}
			if (json_is_null(v) && t->cols[col].notnull) {
				snprintf(err, errlen, "%s.%s: must not be null", t->name, key);
				return SP_EX_DATAERR;
			}
			vals[col] = v;
			mask |= 1u << col;
		}
	}
	tu->table = sp_db_table_index(t);
	tu->mask = mask;
	tu->del = del;
	tu->off = tu->buf.len;
	sp_strbuf_be16(&tu->buf, (uint16_t)(1 + t->ncols));
	sp_strbuf_be32(&tu->buf, 4);
	sp_strbuf_be32(&tu->buf, mask);
	for (i = 0; i < t->ncols; i++) {
		if (!vals[i]) {
			sp_strbuf_be32(&tu->buf, 0xffffffffu);
		} else if (sp_dbval_to_copy(&tu->buf, t->cols[i].type, vals[i], why, sizeof why)) {
			snprintf(err, errlen, "%s.%s: %s", t->name, t->cols[i].name, why);
			tu->buf.len = tu->off;
			return SP_EX_DATAERR;
		}
	}
	if (tu->buf.oom) {
		snprintf(err, errlen, "out of memory");
		return SP_EX_SOFTWARE;
	}
	tu->len = tu->buf.len - tu->off;
	return 0;
}

int
sp_dbimport_put(struct sp_dbimport *im, const struct sp_dbtuple *tu, char *err, size_t errlen)
{
	struct tstate *ts = &im->t[tu->table];
	const struct sp_dbtable *t = &sp_db_tables[tu->table];
	int i;

	if (!tu->del) {
		for (i = 0; i < ts->nshapes && ts->shapes[i].mask != tu->mask; i++)
			;
		if (i == ts->nshapes) {
			if (i == MAXSHAPES) {
				snprintf(err, errlen, "%s: more than %d different sets of columns", t->name, MAXSHAPES);
				return SP_EX_DATAERR;
			}
			ts->shapes[ts->nshapes++].mask = tu->mask;
		}
		ts->shapes[i].n++;
		ts->upserts++;
	} else {
		ts->deletes++;
	}
	if (!ts->spool && !(ts->spool = spool_open())) {
		snprintf(err, errlen, "cannot create a temporary file in %s: %s",
		    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", strerror(errno));
		return SP_EX_IOERR;
	}
	if (fwrite(tu->buf.p + tu->off, 1, tu->len, ts->spool) != tu->len) {
		snprintf(err, errlen, "cannot write a temporary file: %s", strerror(errno));
		return SP_EX_IOERR;
	}
	return 0;
}

int
sp_dbimport_add(struct sp_dbimport *im, json_t *rec, int del, char *err, size_t errlen)
{
	int code;

	sp_strbuf_reset(&im->tup.buf);
	if ((code = sp_dbimport_encode(rec, del, &im->tup, err, errlen)))
		return code;
	return sp_dbimport_put(im, &im->tup, err, errlen);
}

/* "col1", "col2", ... of the columns in mask, each prefixed by pre. */
static void
collist(struct sp_strbuf *b, const struct sp_dbtable *t, uint32_t mask, const char *pre)
{
	int i, first = 1;

	for (i = 0; i < t->ncols; i++) {
		if (!(mask & (1u << i)))
			continue;
		sp_strbuf_printf(b, "%s%s\"%s\"", first ? "" : ", ", pre, t->cols[i].name);
		first = 0;
	}
}

/* Stream the spool of one table into COPY ... FROM STDIN. */
static int
copy_in(PGconn *c, const struct sp_dbtable *t, FILE *spool, char *err, size_t errlen)
{
	struct sp_strbuf sql = {0};
	static const char trailer[2] = {'\377', '\377'};
	char buf[1 << 16], what[96];
	PGresult *r;
	size_t n;
	int code = 0;

	snprintf(what, sizeof what, "loading %s", t->name);
	sp_strbuf_printf(&sql, "COPY pg_temp._sp_in_%s (_sp_mask, ", t->name);
	collist(&sql, t, ~0u >> (32 - t->ncols), "");
	sp_strbuf_puts(&sql, ") FROM STDIN (FORMAT binary)");
	r = PQexec(c, sql.p);
	sp_strbuf_free(&sql);
	if (PQresultStatus(r) != PGRES_COPY_IN) {
		code = sp_pg_error(c, r, what, err, errlen);
		PQclear(r);
		return code;
	}
	PQclear(r);
	if (fwrite(trailer, 1, 2, spool) != 2 || fflush(spool) || fseek(spool, 0, SEEK_SET)) {
		snprintf(err, errlen, "temporary file: %s", strerror(errno));
		PQputCopyEnd(c, "spool error");
		code = SP_EX_IOERR;
	}
	while (!code && (n = fread(buf, 1, sizeof buf, spool)) > 0) {
		if (PQputCopyData(c, buf, (int)n) != 1)
			code = sp_pg_error(c, NULL, what, err, errlen);
	}
	if (!code && ferror(spool)) {
		snprintf(err, errlen, "temporary file: %s", strerror(errno));
		PQputCopyEnd(c, "spool error");
		code = SP_EX_IOERR;
	}
	if (!code && PQputCopyEnd(c, NULL) != 1)
		code = sp_pg_error(c, NULL, what, err, errlen);
	while ((r = PQgetResult(c))) {
		if (!code && PQresultStatus(r) != PGRES_COMMAND_OK)
			code = sp_pg_error(c, r, what, err, errlen);
		PQclear(r);
	}
	return code;
}

/* Run sql returning one row of bigints into out[0..n). */
static int
query_counts(PGconn *c, const char *sql, long long *out, int n, const char *what, char *err, size_t errlen)
{
	PGresult *r = PQexec(c, sql);
	int i, code = 0;

	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1 || PQnfields(r) < n) {
		code = sp_pg_error(c, r, what, err, errlen);
	} else {
		for (i = 0; i < n; i++)
			out[i] = PQgetisnull(r, 0, i) ? 0 : strtoll(PQgetvalue(r, 0, i), NULL, 10);
	}
	PQclear(r);
	return code;
}

/* The column defaults of the target table as {column: SQL expression}. */
static int
load_defaults(PGconn *c, const char *sch, const struct sp_dbtable *t, json_t **out,
    char *err, size_t errlen)
{
	char sql[512], rel[256];
	const char *pv[1];
	PGresult *r;
	int i, code = 0;

	snprintf(rel, sizeof rel, "%s.\"%s\"", sch, t->name);
	pv[0] = rel;
	snprintf(sql, sizeof sql, "SELECT a.attname, pg_get_expr(d.adbin, d.adrelid) FROM pg_attribute a "
	    "JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
	    "WHERE a.attrelid = $1::regclass AND NOT a.attisdropped");
	r = PQexecParams(c, sql, 1, NULL, pv, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		code = sp_pg_error(c, r, "reading column defaults", err, errlen);
	} else {
		*out = json_object();
		for (i = 0; i < PQntuples(r); i++)
			json_object_set_new(*out, PQgetvalue(r, i, 0), json_string(PQgetvalue(r, i, 1)));
	}
	PQclear(r);
	return code;
}

/* The input of table t in a temporary table _sp_in_T, the target locked
 * against other writers, the planner told to use indexes, ids checked
 * unique across shapes; *nonempty: the target held a row. */
static int
stage_table(PGconn *c, const char *sch, const struct sp_dbtable *t, struct tstate *ts,
    long long *nonempty, char *err, size_t errlen)
{
	struct sp_strbuf sql = {0};
	char what[96];
	int code = 0;

	snprintf(what, sizeof what, "creating a temporary table for %s", t->name);
	sp_strbuf_printf(&sql, "CREATE TEMP TABLE _sp_in_%s ON COMMIT DROP AS SELECT 0::int4 AS _sp_mask, ",
	    t->name);
	collist(&sql, t, ~0u >> (32 - t->ncols), "");
	sp_strbuf_printf(&sql, " FROM %s.\"%s\" WITH NO DATA", sch, t->name);
	if (sql.oom || (code = sp_pg_exec(c, sql.p, what, err, errlen)))
		goto out;
	/* Other writers wait until we commit (readers do not): then a table
	 * found empty stays empty but for our rows, and nothing can conflict
	 * with them. */
	sp_strbuf_reset(&sql);
	sp_strbuf_printf(&sql, "LOCK TABLE %s.\"%s\" IN SHARE ROW EXCLUSIVE MODE", sch, t->name);
	snprintf(what, sizeof what, "locking %s", t->name);
	if ((code = sp_pg_exec(c, sql.p, what, err, errlen)))
		goto out;
	sp_strbuf_reset(&sql);
	sp_strbuf_printf(&sql, "SELECT count(*) FROM (SELECT 1 FROM %s.\"%s\" LIMIT 1) x", sch, t->name);
	if ((code = query_counts(c, sql.p, nonempty, 1, what, err, errlen)))
		goto out;
	if ((code = copy_in(c, t, ts->spool, err, errlen)))
		goto out;
	/* The join below must never become a sequential scan of the target
	 * per input row, whatever the target's (possibly stale: just
	 * truncated, just loaded) statistics say: index lookups only. */
	if ((code = sp_pg_exec(c, "SET LOCAL enable_seqscan = off", "planner settings", err, errlen)))
		goto out;
	if (ts->nshapes > 1) {
		PGresult *r;

		sp_strbuf_reset(&sql);
		sp_strbuf_printf(&sql, "SELECT id FROM pg_temp._sp_in_%s WHERE _sp_mask <> -1 "
		    "GROUP BY id HAVING count(*) > 1 LIMIT 1", t->name);
		r = PQexec(c, sql.p);
		if (PQresultStatus(r) != PGRES_TUPLES_OK) {
			code = sp_pg_error(c, r, "checking for duplicate ids", err, errlen);
		} else if (PQntuples(r) > 0) {
			snprintf(err, errlen, "%s: id %s appears more than once in the input",
			    t->name, PQgetvalue(r, 0, 0));
			code = SP_EX_DATAERR;
		}
		PQclear(r);
	}
out:
	if (sql.oom && !code) {
		snprintf(err, errlen, "out of memory");
		code = SP_EX_SOFTWARE;
	}
	sp_strbuf_free(&sql);
	return code;
}

/* Rows of shape m into an empty table: nothing can conflict, so a plain
 * INSERT, without the speculative insertion ON CONFLICT costs. */
static int
insert_shape(PGconn *c, const char *sch, const struct sp_dbtable *t, uint32_t m,
    struct tstate *ts, char *err, size_t errlen)
{
	struct sp_strbuf sql = {0};
	PGresult *r;
	int code = 0;

	sp_strbuf_printf(&sql, "INSERT INTO %s.\"%s\" (", sch, t->name);
	collist(&sql, t, m, "");
	sp_strbuf_puts(&sql, ") SELECT ");
	collist(&sql, t, m, "");
	sp_strbuf_printf(&sql, " FROM pg_temp._sp_in_%s WHERE _sp_mask = %d", t->name, (int32_t)m);
	if (sql.oom) {
		sp_strbuf_free(&sql);
		snprintf(err, errlen, "out of memory");
		return SP_EX_SOFTWARE;
	}
	r = PQexec(c, sql.p);
	sp_strbuf_free(&sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		const char *cn = PQresultErrorField(r, PG_DIAG_CONSTRAINT_NAME);

		code = sp_pg_error(c, r, t->name, err, errlen);
		if (code == SP_EX_DATAERR && cn && strlen(cn) > 5 && !strcmp(cn + strlen(cn) - 5, "_pkey"))
			snprintf(err, errlen, "%s: the same id appears more than once in the input", t->name);
	} else {
		ts->created += strtoll(PQcmdTuples(r), NULL, 10);
	}
	PQclear(r);
	return code;
}

/* The statement that upserts the rows of shape m (columns fill absent
 * but NOT NULL, from the stored row or the column's default) and selects
 * the counts created, updated. */
static void
upsert_sql(struct sp_strbuf *sql, const char *sch, const struct sp_dbtable *t, uint32_t m,
    uint32_t fill, json_t *defaults)
{
	uint32_t rest = m & ~1u;
	int i, first = 1;

	sp_strbuf_printf(sql, "WITH ins AS (INSERT INTO %s.\"%s\" AS t (", sch, t->name);
	collist(sql, t, m | fill, "");
	sp_strbuf_puts(sql, ") SELECT ");
	for (i = 0; i < t->ncols; i++) {
		const char *d;

		if (!((m | fill) & (1u << i)))
			continue;
		sp_strbuf_puts(sql, first ? "" : ", ");
		first = 0;
		if (m & (1u << i))
			sp_strbuf_printf(sql, "i.\"%s\"", t->cols[i].name);
		else if ((d = json_string_value(json_object_get(defaults, t->cols[i].name))))
			sp_strbuf_printf(sql, "COALESCE(e.\"%s\", %s)", t->cols[i].name, d);
		else
			sp_strbuf_printf(sql, "e.\"%s\"", t->cols[i].name);
	}
	/* The join with the stored row fills absent columns and skips
	 * equal rows before they reach ON CONFLICT, which would lock
	 * (and so write) each of them just to compare. */
	sp_strbuf_printf(sql, " FROM pg_temp._sp_in_%s i LEFT JOIN %s.\"%s\" e ON e.id = i.id"
	    " WHERE i._sp_mask = %d", t->name, sch, t->name, (int32_t)m);
	if (rest) {
		sp_strbuf_puts(sql, " AND (e.id IS NULL OR (");
		collist(sql, t, rest, "e.");
		sp_strbuf_puts(sql, ") IS DISTINCT FROM (");
		collist(sql, t, rest, "i.");
		sp_strbuf_puts(sql, "))");
	} else {
		sp_strbuf_puts(sql, " AND e.id IS NULL");
	}
	sp_strbuf_puts(sql, " ON CONFLICT (id) DO ");
	if (!rest) {
		sp_strbuf_puts(sql, "NOTHING RETURNING true AS created");
	} else {
		first = 1;
		sp_strbuf_puts(sql, "UPDATE SET ");
		for (i = 1; i < t->ncols; i++) {
			if (!(rest & (1u << i)))
				continue;
			sp_strbuf_printf(sql, "%s\"%s\" = EXCLUDED.\"%s\"", first ? "" : ", ",
			    t->cols[i].name, t->cols[i].name);
			first = 0;
		}
		sp_strbuf_puts(sql, " WHERE (");
		collist(sql, t, rest, "t.");
		sp_strbuf_puts(sql, ") IS DISTINCT FROM (");
		collist(sql, t, rest, "EXCLUDED.");
		sp_strbuf_puts(sql, ") RETURNING xmax = 0 AS created");
	}
	sp_strbuf_puts(sql, ") SELECT count(*) FILTER (WHERE created),"
	    " count(*) FILTER (WHERE NOT created) FROM ins");
}

/* Rows of shape m into a table that may hold them: an exact upsert that
 * writes only rows whose present columns differ. */
static int
upsert_shape(PGconn *c, const char *sch, const struct sp_dbtable *t, uint32_t m,
    struct tstate *ts, json_t **defaults, char *err, size_t errlen)
{
	struct sp_strbuf sql = {0};
	long long cnt[2];
	uint32_t fill = 0;
	int i, code;

	/* An absent NOT NULL column still needs a value in the proposed
	 * row, or PostgreSQL refuses it before it sees the conflict: the
	 * stored value (never written, the update sets only present
	 * columns), or for a new row the column default. */
	for (i = 1; i < t->ncols; i++)
		if (t->cols[i].notnull && !(m & (1u << i)))
			fill |= 1u << i;
	if (fill && !*defaults && (code = load_defaults(c, sch, t, defaults, err, errlen)))
		return code;
	upsert_sql(&sql, sch, t, m, fill, *defaults);
	if (sql.oom) {
		sp_strbuf_free(&sql);
		snprintf(err, errlen, "out of memory");
		return SP_EX_SOFTWARE;
	}
	code = query_counts(c, sql.p, cnt, 2, t->name, err, errlen);
	sp_strbuf_free(&sql);
	if (code) {
		if (strstr(err, "cannot affect row a second time")) {
			snprintf(err, errlen, "%s: the same id appears more than once in the input", t->name);
			code = SP_EX_DATAERR;
		}
		return code;
	}
	ts->created += cnt[0];
	ts->updated += cnt[1];
	return 0;
}

/* All rows of table t, shape by shape; counts into ts. */
static int
upsert_table(PGconn *c, const char *sch, const struct sp_dbtable *t, struct tstate *ts,
    char *err, size_t errlen)
{
	long long nonempty = 0;
	json_t *defaults = NULL;
	int s, code;

	if ((code = stage_table(c, sch, t, ts, &nonempty, err, errlen)))
		return code;
	for (s = 0; s < ts->nshapes && !code; s++) {
		if (!nonempty)
			code = insert_shape(c, sch, t, ts->shapes[s].mask, ts, err, errlen);
		else
			code = upsert_shape(c, sch, t, ts->shapes[s].mask, ts, &defaults, err, errlen);
	}
	json_decref(defaults);
	return code;
}

static int
delete_table(PGconn *c, const char *sch, const struct sp_dbtable *t, struct tstate *ts,
    char *err, size_t errlen)
{
	char sql[512], what[96];
	long long n;
	int code;

	snprintf(sql, sizeof sql, "WITH d AS (DELETE FROM %s.\"%s\" t USING pg_temp._sp_in_%s i "
	    "WHERE i._sp_mask = -1 AND t.id = i.id RETURNING 1) SELECT count(*) FROM d",
	    sch, t->name, t->name);
	snprintf(what, sizeof what, "deleting from %s", t->name);
	if ((code = query_counts(c, sql, &n, 1, what, err, errlen)))
		return code;
	ts->deleted = n;
	return 0;
}

static json_t *
counts_json(struct sp_dbimport *im)
{
	json_t *all = json_object(), *tables = json_object();
	long long tot[4] = {0};
	int i;

	for (i = 0; i < sp_db_ntables; i++) {
		struct tstate *ts = &im->t[i];
		long long unchanged = ts->upserts - ts->created - ts->updated;

		if (!ts->spool)
			continue;
		json_object_set_new(tables, sp_db_tables[i].name, json_pack("{s:I,s:I,s:I,s:I}",
		    "created", (json_int_t)ts->created, "updated", (json_int_t)ts->updated,
		    "unchanged", (json_int_t)unchanged, "deleted", (json_int_t)ts->deleted));
		tot[0] += ts->created;
		tot[1] += ts->updated;
		tot[2] += unchanged;
		tot[3] += ts->deleted;
	}
	json_object_set_new(all, "created", json_integer(tot[0]));
	json_object_set_new(all, "updated", json_integer(tot[1]));
	json_object_set_new(all, "unchanged", json_integer(tot[2]));
	json_object_set_new(all, "deleted", json_integer(tot[3]));
	json_object_set_new(all, "tables", tables);
	return all;
}

int
sp_dbimport_apply(struct sp_dbimport *im, PGconn *c, const char *schema, int dry_run,
    json_t **counts, char *err, size_t errlen)
{
	char sch[160];
	int i, code = 0;

	*counts = NULL;
	if (im->applied) {
		snprintf(err, errlen, "sp_dbimport_apply called twice");
		return SP_EX_SOFTWARE;
	}
	im->applied = 1;
	if (strlen(schema ? schema : "") > 63) {
		snprintf(err, errlen, "schema name too long");
		return SP_EX_USAGE;
	}
	sp_pg_ident(schema ? schema : "public", sch, sizeof sch);
	if (PQtransactionStatus(c) != PQTRANS_IDLE) {
		snprintf(err, errlen, "sp_dbimport_apply: the connection is inside a transaction");
		return SP_EX_SOFTWARE;
	}
	if (PQsetClientEncoding(c, "UTF8"))
		return sp_pg_error(c, NULL, "set client_encoding", err, errlen);
	if ((code = sp_pg_exec(c, "BEGIN", "begin", err, errlen)))
		return code;
	for (i = 0; i < sp_db_ntables && !code; i++)
		if (im->t[i].upserts || im->t[i].deletes)
			code = upsert_table(c, sch, &sp_db_tables[i], &im->t[i], err, errlen);
	for (i = sp_db_ntables - 1; i >= 0 && !code; i--)
		if (im->t[i].deletes)
			code = delete_table(c, sch, &sp_db_tables[i], &im->t[i], err, errlen);
	if (!code)
		code = sp_pg_exec(c, dry_run ? "ROLLBACK" : "COMMIT", dry_run ? "rollback" : "commit",
		    err, errlen);
	if (code) {
		sp_pg_rollback(c);
		return code;
	}
	if (!(*counts = counts_json(im))) {
		snprintf(err, errlen, "out of memory");
		return SP_EX_SOFTWARE;
	}
	return 0;
}

int
sp_db_import(PGconn *c, const struct sp_dbimport_opts *o, json_t **counts, char *err, size_t errlen)
{
	struct sp_dbimport *im = sp_dbimport_new();
	unsigned long n = 0;
	char why[1024];
	json_t *rec;
	int rc, del, code = 0;

	*counts = NULL;
	if (!im) {
		snprintf(err, errlen, "out of memory");
		return SP_EX_SOFTWARE;
	}
	for (;;) {
		rec = NULL;
		del = 0;
		rc = o->next(o->arg, &rec, &del, err, errlen);
		if (rc == 0)
			break;
		if (rc != 1) {
			code = rc;
			break;
		}
		n++;
		code = sp_dbimport_add(im, rec, del, why, sizeof why);
		json_decref(rec);
		if (code) {
			if (o->where)
				snprintf(err, errlen, "%s: %s", o->where(o->arg), why);
			else
				snprintf(err, errlen, "record %lu: %s", n, why);
			break;
		}
	}
	if (!code)
		code = sp_dbimport_apply(im, c, o->schema, o->dry_run, counts, err, errlen);
	sp_dbimport_free(im);
	return code;
}
