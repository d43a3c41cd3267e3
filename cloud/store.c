/* store.c - sp-cloudd's state in PostgreSQL (schema sp_cloud). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cloud/pool.h"
#include "cloud/store.h"
#include "core/err.h"
#include "core/fsutil.h"
#include "core/hex.h"
#include "pg/init.h"

/* RFC 3339 in UTC with microseconds, from a timestamptz expression. */
#define TS(x) "to_char(" x " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

static const char schema_sql[] =
    "SET LOCAL client_min_messages = warning;\n"
    "SELECT pg_advisory_xact_lock(7283460912);\n"
    "CREATE SCHEMA IF NOT EXISTS sp_cloud;\n"
    "CREATE TABLE IF NOT EXISTS sp_cloud.tenants (\n"
    "  id text PRIMARY KEY CHECK (id ~ '^[a-z0-9_-]{1,64}$'),\n"
    "  db_schema text NOT NULL UNIQUE,\n"
    "  generation bigint NOT NULL DEFAULT 0,\n"
    "  current_archive bigint,\n"
    "  created_at timestamptz NOT NULL DEFAULT now());\n"
    "CREATE TABLE IF NOT EXISTS sp_cloud.tokens (\n"
    "  id text PRIMARY KEY CHECK (id ~ '^[0-9a-f]{16}$'),\n"
    "  tenant text NOT NULL REFERENCES sp_cloud.tenants ON DELETE CASCADE,\n"
    "  hash bytea NOT NULL CHECK (length(hash) = 32),\n"
    "  created_at timestamptz NOT NULL DEFAULT now(),\n"
    "  revoked_at timestamptz);\n"
    "CREATE INDEX IF NOT EXISTS tokens_tenant ON sp_cloud.tokens (tenant);\n"
    "CREATE TABLE IF NOT EXISTS sp_cloud.archives (\n"
    "  id bigserial PRIMARY KEY,\n"
    "  tenant text NOT NULL REFERENCES sp_cloud.tenants ON DELETE CASCADE,\n"
    "  generation bigint,\n"
    "  sha256 text NOT NULL,\n"
    "  size bigint NOT NULL,\n"
    "  manifest_sha256 text NOT NULL,\n"
    "  manifest bytea NOT NULL,\n"
    "  files integer NOT NULL,\n"
    "  uploaded_at timestamptz NOT NULL DEFAULT now());\n"
    "CREATE INDEX IF NOT EXISTS archives_tenant ON sp_cloud.archives (tenant, generation);\n"
    "CREATE TABLE IF NOT EXISTS sp_cloud.archive_chunks (\n"
    "  archive bigint NOT NULL REFERENCES sp_cloud.archives ON DELETE CASCADE,\n"
    "  seq integer NOT NULL,\n"
    "  data bytea NOT NULL,\n"
    "  PRIMARY KEY (archive, seq));\n"
    /* archives are gzip already: store chunks out of line, uncompressed */
    "ALTER TABLE sp_cloud.archive_chunks ALTER data SET STORAGE EXTERNAL;\n"
    "CREATE TABLE IF NOT EXISTS sp_cloud.deployments (\n"
    "  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),\n"
    "  tenant text NOT NULL REFERENCES sp_cloud.tenants ON DELETE CASCADE,\n"
    "  image text NOT NULL,\n"
    "  tag text NOT NULL,\n"
    "  status text NOT NULL,\n"
    "  exit_code integer,\n"
    "  app_url text,\n"
    "  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),\n"
    "  finished_at timestamptz);\n"
    "CREATE INDEX IF NOT EXISTS deployments_tenant ON sp_cloud.deployments (tenant, created_at);\n"
    /* a client's retry of one deploy request carries the same request_id */
    "ALTER TABLE sp_cloud.deployments ADD COLUMN IF NOT EXISTS request_id uuid;\n"
    "CREATE UNIQUE INDEX IF NOT EXISTS deployments_request ON sp_cloud.deployments (tenant, request_id);\n";

int
cs_schema_apply(PGconn *c, char *err, size_t errlen)
{
	if (sp_pg_exec(c, "BEGIN", NULL, err, errlen) ||
	    sp_pg_exec(c, schema_sql, NULL, err, errlen) ||
	    sp_pg_exec(c, "COMMIT", NULL, err, errlen)) {
		sp_pg_rollback(c);
		return CS_ERR;
	}
	return CS_OK;
}

static const struct {
	const char *name, *sql;
} statements[] = {
	{"auth", "SELECT tenant, encode(hash, 'hex') FROM sp_cloud.tokens"
	 " WHERE id = $1 AND revoked_at IS NULL"},
	/* the same, with the current archive of the token's tenant: one
	 * round trip for the hot paths (manifest, pull) */
	{"auth_cur", "SELECT k.tenant, encode(k.hash, 'hex'), a.id, a.size, a.generation, a.files,"
	 " a.sha256, a.manifest_sha256, " TS("a.uploaded_at") " FROM sp_cloud.tokens k"
	 " JOIN sp_cloud.tenants t ON t.id = k.tenant"
	 " LEFT JOIN sp_cloud.archives a ON a.id = t.current_archive"
	 " WHERE k.id = $1 AND k.revoked_at IS NULL"},
	{"current", "SELECT a.id, a.size, a.generation, a.files, a.sha256, a.manifest_sha256, "
	 TS("a.uploaded_at") " FROM sp_cloud.tenants t JOIN sp_cloud.archives a"
	 " ON a.id = t.current_archive WHERE t.id = $1"},
	{"current_m", "SELECT a.id, a.size, a.generation, a.files, a.sha256, a.manifest_sha256, "
	 TS("a.uploaded_at") ", a.manifest FROM sp_cloud.tenants t JOIN sp_cloud.archives a"
	 " ON a.id = t.current_archive WHERE t.id = $1"},
};

int
cs_prepare(PGconn *c, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < sizeof statements / sizeof *statements; i++) {
		PGresult *r = PQprepare(c, statements[i].name, statements[i].sql, 0, NULL);
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			sp_pg_error(c, r, NULL, err, errlen);
			PQclear(r);
			return CS_ERR;
		}
		PQclear(r);
	}
	return CS_OK;
}

void
cs_tenant_schema(const char *tenant, char out[CS_SCHEMA_MAX])
{
	char hex[SP_HEXLEN];

	if (strlen(tenant) <= 56) {
		snprintf(out, CS_SCHEMA_MAX, "tenant_%s", tenant);
		return;
	}
	sp_sha256_hex(tenant, strlen(tenant), hex);
	snprintf(out, CS_SCHEMA_MAX, "tenant_%.39s_%.16s", tenant, hex);
}

/* Roll back what is open and return CS_ERR. */
static int
fail(PGconn *c)
{
	if (PQstatus(c) == CONNECTION_OK && PQtransactionStatus(c) != PQTRANS_IDLE)
		sp_pg_rollback(c);
	return CS_ERR;
}

static int
insert_token(PGconn *c, const char *tenant, char *tok, char *err, size_t errlen)
{
	static const char hx[] = "0123456789abcdef";
	unsigned char hash[32];
	char id[CLOUD_TOKEN_IDLEN + 1], hex[65];
	const char *p[3] = {id, tenant, hex};
	PGresult *r;
	int i;

	if (cloud_token_new(tok, id, hash) != 0) {
		snprintf(err, errlen, "no random bytes for a token");
		return CS_ERR;
	}
	for (i = 0; i < 32; i++) {
		hex[2 * i] = hx[hash[i] >> 4];
		hex[2 * i + 1] = hx[hash[i] & 15];
	}
	hex[64] = '\0';
	r = sp_pg_query(c, "INSERT INTO sp_cloud.tokens (id, tenant, hash)"
	    " VALUES ($1, $2, decode($3, 'hex'))", 3, p, NULL, err, errlen);
	PQclear(r);
	return r ? CS_OK : CS_ERR;
}

int
cs_tenant_add(PGconn *c, const char *tenant,
    int (*init)(PGconn *, const char *, char *, size_t), char *tok, char *err, size_t errlen)
{
	char schema[CS_SCHEMA_MAX];
	const char *p[2] = {tenant, schema};
	PGresult *r;
	int rc;

	cs_tenant_schema(tenant, schema);
	rc = cs_tenant_get(c, tenant, schema, err, errlen);
	if (rc == CS_OK) {
		snprintf(err, errlen, "tenant %s already exists", tenant);
		return CS_EXISTS;
	}
	if (rc != CS_NOTFOUND)
		return rc;
	cs_tenant_schema(tenant, schema);
	/* The row tables come first, in a transaction of their own (creating
	 * them is idempotent: a failure below leaves nothing a retry minds). */
	if (init && init(c, schema, err, errlen) != 0)
		return fail(c);
	if (sp_pg_exec(c, "BEGIN", NULL, err, errlen))
		return fail(c);
	r = sp_pg_query(c, "INSERT INTO sp_cloud.tenants (id, db_schema)"
	    " VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING id", 2, p, NULL, err, errlen);
	if (!r)
		return fail(c);
	rc = PQntuples(r);
	PQclear(r);
	if (!rc) {
		fail(c);
		snprintf(err, errlen, "tenant %s already exists", tenant);
		return CS_EXISTS;
	}
	if (insert_token(c, tenant, tok, err, errlen) != CS_OK ||
	    sp_pg_exec(c, "COMMIT", NULL, err, errlen))
		return fail(c);
	return CS_OK;
}

int
cs_tenant_get(PGconn *c, const char *tenant, char *schema, char *err, size_t errlen)
{
	const char *p[1] = {tenant};
	PGresult *r;
	int rc = CS_NOTFOUND;

	r = sp_pg_query(c, "SELECT db_schema FROM sp_cloud.tenants WHERE id = $1", 1, p, NULL, err, errlen);
	if (!r)
		return CS_ERR;
	if (PQntuples(r)) {
		snprintf(schema, CS_SCHEMA_MAX, "%s", PQgetvalue(r, 0, 0));
		rc = CS_OK;
	} else {
		snprintf(err, errlen, "no tenant %s", tenant);
	}
	PQclear(r);
	return rc;
}

int
cs_tenant_delete(PGconn *c, const char *tenant, char *err, size_t errlen)
{
	const char *p[1] = {tenant};
	char *q, *sql;
	PGresult *r;
	int rc;

	if (sp_pg_exec(c, "BEGIN", NULL, err, errlen))
		return fail(c);
	r = sp_pg_query(c, "SELECT db_schema FROM sp_cloud.tenants WHERE id = $1 FOR UPDATE", 1, p,
	    NULL, err, errlen);
	if (!r)
		return fail(c);
	if (!PQntuples(r)) {
		PQclear(r);
		fail(c);
		snprintf(err, errlen, "no tenant %s", tenant);
		return CS_NOTFOUND;
	}
	q = PQescapeIdentifier(c, PQgetvalue(r, 0, 0), (size_t)PQgetlength(r, 0, 0));
	PQclear(r);
	if (!q) {
		sp_pg_error(c, NULL, NULL, err, errlen);
		return fail(c);
	}
	sql = sp_asprintf("DROP SCHEMA IF EXISTS %s CASCADE", q);
	PQfreemem(q);
	rc = sp_pg_exec(c, sql, NULL, err, errlen);
	free(sql);
	if (rc)
		return fail(c);
	r = sp_pg_query(c, "DELETE FROM sp_cloud.tenants WHERE id = $1", 1, p, NULL, err, errlen);
	if (!r)
		return fail(c);
	PQclear(r);
	if (sp_pg_exec(c, "COMMIT", NULL, err, errlen))
		return fail(c);
	return CS_OK;
}

/* Run sql, whose one column is a JSON text per row, into an array. */
static int
json_rows(PGconn *c, const char *sql, int n, const char *const *p, json_t **out,
    char *err, size_t errlen)
{
	PGresult *r = sp_pg_query(c, sql, n, p, NULL, err, errlen);
	json_error_t je;
	int i;

	if (!r)
		return CS_ERR;
	*out = json_array();
	for (i = 0; i < PQntuples(r); i++) {
		json_t *o = json_loads(PQgetvalue(r, i, 0), 0, &je);
		if (!o) {
			snprintf(err, errlen, "bad JSON from the database: %s", je.text);
			json_decref(*out);
			*out = NULL;
			PQclear(r);
			return CS_ERR;
		}
		json_array_append_new(*out, o);
	}
	PQclear(r);
	return CS_OK;
}

int
cs_tenant_list(PGconn *c, json_t **out, char *err, size_t errlen)
{
	return json_rows(c,
	    "SELECT json_build_object('type', 'tenant', 'id', t.id, 'created_at', "
	    TS("t.created_at") ", 'generation', t.generation, 'tokens',"
	    " (SELECT count(*) FROM sp_cloud.tokens k WHERE k.tenant = t.id"
	    " AND k.revoked_at IS NULL))::text FROM sp_cloud.tenants t ORDER BY t.id",
	    0, NULL, out, err, errlen);
}

int
cs_token_add(PGconn *c, const char *tenant, char *tok, char *err, size_t errlen)
{
	char schema[CS_SCHEMA_MAX];
	int rc;

	if (sp_pg_exec(c, "BEGIN", NULL, err, errlen))
		return fail(c);
	rc = cs_tenant_get(c, tenant, schema, err, errlen);
	if (rc == CS_OK)
		rc = insert_token(c, tenant, tok, err, errlen);
	if (rc == CS_OK && sp_pg_exec(c, "COMMIT", NULL, err, errlen))
		rc = CS_ERR;
	if (rc != CS_OK)
		fail(c);
	return rc;
}

int
cs_token_list(PGconn *c, const char *tenant, json_t **out, char *err, size_t errlen)
{
	const char *p[1] = {tenant};

	return json_rows(c,
	    "SELECT json_build_object('type', 'token', 'id', id, 'tenant', tenant,"
	    " 'created_at', " TS("created_at") ", 'revoked_at', " TS("revoked_at") ")::text"
	    " FROM sp_cloud.tokens WHERE $1::text IS NULL OR tenant = $1"
	    " ORDER BY tenant, created_at, id", 1, p, out, err, errlen);
}

int
cs_token_revoke(PGconn *c, const char *id, char *err, size_t errlen)
{
	const char *p[1] = {id};
	PGresult *r;
	int n;

	r = sp_pg_query(c, "UPDATE sp_cloud.tokens SET revoked_at = now()"
	    " WHERE id = $1 AND revoked_at IS NULL", 1, p, NULL, err, errlen);
	if (!r)
		return CS_ERR;
	n = atoi(PQcmdTuples(r));
	PQclear(r);
	if (!n) {
		snprintf(err, errlen, "no live token %s", id);
		return CS_NOTFOUND;
	}
	return CS_OK;
}

/* Fill a (no manifest) from columns off.. of row 0 of r. */
static void
archive_row(PGresult *r, int off, struct cs_archive *a)
{
	memset(a, 0, sizeof *a);
	a->id = strtoll(PQgetvalue(r, 0, off), NULL, 10);
	a->size = strtoll(PQgetvalue(r, 0, off + 1), NULL, 10);
	a->generation = strtoll(PQgetvalue(r, 0, off + 2), NULL, 10);
	a->files = atoi(PQgetvalue(r, 0, off + 3));
	snprintf(a->sha256, sizeof a->sha256, "%s", PQgetvalue(r, 0, off + 4));
	snprintf(a->manifest_sha256, sizeof a->manifest_sha256, "%s", PQgetvalue(r, 0, off + 5));
	snprintf(a->uploaded_at, sizeof a->uploaded_at, "%s", PQgetvalue(r, 0, off + 6));
}

int
cs_auth(PGconn *c, const char *id, const unsigned char hash[32], char *tenant,
    struct cs_archive *cur, int *has_cur, char *err, size_t errlen)
{
	static const unsigned char dummy[32];
	unsigned char stored[32];
	const char *p[1] = {id};
	PGresult *r;
	int ok;

	r = sp_pg_prepared(c, cur ? "auth_cur" : "auth", 1, p, NULL, err, errlen);
	if (!r)
		return CS_ERR;
	if (PQntuples(r) != 1 || PQgetlength(r, 0, 1) != 64 ||
	    sp_unhex(PQgetvalue(r, 0, 1), stored, 32) != 0) {
		/* compare anyway, so a missing id costs what a wrong hash does */
		cloud_hash_equal(hash, dummy);
		PQclear(r);
		return CS_NOTFOUND;
	}
	ok = cloud_hash_equal(hash, stored);
	if (ok) {
		snprintf(tenant, CLOUD_TENANT_MAX + 1, "%s", PQgetvalue(r, 0, 0));
		if (cur) {
			*has_cur = !PQgetisnull(r, 0, 2);
			if (*has_cur)
				archive_row(r, 2, cur);
		}
	}
	PQclear(r);
	return ok ? CS_OK : CS_NOTFOUND;
}

void
cs_archive_clear(struct cs_archive *a)
{
	free(a->manifest);
	a->manifest = NULL;
	a->manifest_len = 0;
}

int
cs_archive_current(PGconn *c, const char *tenant, int with_manifest, struct cs_archive *a,
    char *err, size_t errlen)
{
	const char *p[1] = {tenant};
	PGresult *r;

	memset(a, 0, sizeof *a);
	r = sp_pg_prepared(c, with_manifest ? "current_m" : "current", 1, p, NULL, err, errlen);
	if (!r)
		return CS_ERR;
	if (PQntuples(r) != 1) {
		PQclear(r);
		snprintf(err, errlen, "nothing pushed yet");
		return CS_NOTFOUND;
	}
	archive_row(r, 0, a);
	if (with_manifest) {
		size_t n = 0;
		unsigned char *m = PQunescapeBytea((const unsigned char *)PQgetvalue(r, 0, 7), &n);
		if (!m) {
			PQclear(r);
			snprintf(err, errlen, "out of memory");
			return CS_ERR;
		}
		a->manifest = sp_malloc(n + 1);
		memcpy(a->manifest, m, n);
		a->manifest[n] = '\0';
		a->manifest_len = n;
		PQfreemem(m);
	}
	PQclear(r);
	return CS_OK;
}

/* Read up to n bytes from fd (short only at end of file); -1 on error. */
static ssize_t
readfull(int fd, char *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t k = read(fd, buf + got, n - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -1;
		if (k == 0)
			break;
		got += (size_t)k;
	}
	return (ssize_t)got;
}

int
cs_archive_store(PGconn *c, const char *tenant, int fd, struct cs_archive *a, int keep,
    char *err, size_t errlen)
{
	char ids[24], sizes[24], files[24], seqs[24], gens[24], keeps[24];
	const char *p[6];
	int lens[3] = {0, 0, 0}, fmts[3] = {0, 0, 1};
	int mlens[6] = {0}, mfmts[6] = {0, 0, 0, 0, 1, 0};
	char *buf = NULL;
	PGresult *r;
	long long total = 0;
	int seq;

	if (sp_pg_exec(c, "BEGIN", NULL, err, errlen))
		return fail(c);
	snprintf(sizes, sizeof sizes, "%lld", a->size);
	snprintf(files, sizeof files, "%d", a->files);
	p[0] = tenant, p[1] = a->sha256, p[2] = sizes, p[3] = a->manifest_sha256;
	p[4] = a->manifest, p[5] = files;
	mlens[4] = (int)a->manifest_len;
	r = PQexecParams(c, "INSERT INTO sp_cloud.archives (tenant, sha256, size,"
	    " manifest_sha256, manifest, files) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
	    6, NULL, p, mlens, mfmts, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		sp_pg_error(c, r, NULL, err, errlen);
		PQclear(r);
		return fail(c);
	}
	a->id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	snprintf(ids, sizeof ids, "%lld", a->id);
	buf = sp_malloc(CS_CHUNK);
	if (lseek(fd, 0, SEEK_SET) < 0)
		goto ioerr;
	for (seq = 0;; seq++) {
		ssize_t n = readfull(fd, buf, CS_CHUNK);
		if (n < 0)
			goto ioerr;
		if (n == 0 && seq > 0)
			break;
		snprintf(seqs, sizeof seqs, "%d", seq);
		p[0] = ids, p[1] = seqs, p[2] = buf;
		lens[2] = (int)n;
		r = PQexecParams(c, "INSERT INTO sp_cloud.archive_chunks (archive, seq, data)"
		    " VALUES ($1, $2, $3)", 3, NULL, p, lens, fmts, 0);
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			sp_pg_error(c, r, NULL, err, errlen);
			PQclear(r);
			free(buf);
			return fail(c);
		}
		PQclear(r);
		total += n;
		if (n < CS_CHUNK)
			break;
	}
	free(buf);
	buf = NULL;
	if (total != a->size) {
		snprintf(err, errlen, "spooled archive changed size (%lld, not %lld)", total, a->size);
		return fail(c);
	}
	/* The tenant row lock orders concurrent pushes: each gets its own
	 * generation and the last to commit is current. */
	p[0] = tenant, p[1] = ids;
	if (a->base_id > 0) {
		/* an incremental push: only onto the generation it was
		 * planned against (the row lock orders racing pushes) */
		char bids[24];
		const char *q[3] = {tenant, ids, bids};

		snprintf(bids, sizeof bids, "%lld", a->base_id);
		r = sp_pg_query(c, "UPDATE sp_cloud.tenants SET generation = generation + 1,"
		    " current_archive = $2 WHERE id = $1 AND current_archive = $3::bigint"
		    " RETURNING generation", 3, q, NULL, err, errlen);
		if (r && PQntuples(r) != 1) {
			PQclear(r);
			snprintf(err, errlen, "the generation this push was planned against is no longer current");
			fail(c);
			return CS_EXISTS;
		}
	} else {
		r = sp_pg_query(c, "UPDATE sp_cloud.tenants SET generation = generation + 1,"
		    " current_archive = $2 WHERE id = $1 RETURNING generation", 2, p, NULL, err, errlen);
	}
	if (!r)
		return fail(c);
	if (PQntuples(r) != 1) {
		PQclear(r);
		snprintf(err, errlen, "no tenant %s", tenant);
		return fail(c);
	}
	a->generation = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	snprintf(gens, sizeof gens, "%lld", a->generation);
	p[0] = ids, p[1] = gens;
	r = sp_pg_query(c, "UPDATE sp_cloud.archives SET generation = $2,"
	    " uploaded_at = clock_timestamp() WHERE id = $1 RETURNING " TS("uploaded_at"), 2, p,
	    NULL, err, errlen);
	if (!r)
		return fail(c);
	snprintf(a->uploaded_at, sizeof a->uploaded_at, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	snprintf(keeps, sizeof keeps, "%d", keep > 0 ? keep : 1);
	p[0] = tenant, p[1] = gens, p[2] = keeps;
	r = sp_pg_query(c, "DELETE FROM sp_cloud.archives WHERE tenant = $1"
	    " AND generation <= $2::bigint - $3::bigint", 3, p, NULL, err, errlen);
	if (!r)
		return fail(c);
	PQclear(r);
	if (sp_pg_exec(c, "COMMIT", NULL, err, errlen))
		return fail(c);
	return CS_OK;
ioerr:
	snprintf(err, errlen, "reading the spooled archive: %s", strerror(errno));
	free(buf);
	return fail(c);
}

long long
cs_archive_fetch(PGconn *c, long long id, int (*sink)(void *arg, const void *p, size_t n),
    void *arg, char *err, size_t errlen)
{
	char ids[24];
	const char *p[1] = {ids};
	PGresult *r;
	long long total = 0;
	int failed = 0;

	snprintf(ids, sizeof ids, "%lld", id);
	if (!PQsendQueryParams(c, "SELECT data FROM sp_cloud.archive_chunks WHERE archive = $1"
	    " ORDER BY seq", 1, NULL, p, NULL, NULL, 1) || !PQsetSingleRowMode(c)) {
		sp_pg_error(c, NULL, NULL, err, errlen);
		return -1;
	}
	while ((r = PQgetResult(c))) {
		ExecStatusType st = PQresultStatus(r);
		if (st == PGRES_SINGLE_TUPLE && !failed) {
			int n = PQgetlength(r, 0, 0);
			if (sink(arg, PQgetvalue(r, 0, 0), (size_t)n) != 0) {
				snprintf(err, errlen, "writing the archive cache: %s", strerror(errno));
				failed = 1;
			}
			total += n;
		} else if (st != PGRES_SINGLE_TUPLE && st != PGRES_TUPLES_OK && !failed) {
			sp_pg_error(c, r, NULL, err, errlen);
			failed = 1;
		}
		PQclear(r);
	}
	return failed ? -1 : total;
}

int
cs_deploy_add(PGconn *c, const char *tenant, const char *image, const char *tag,
    const char *status, const char *request_id, char *id, json_t **seen, char *err, size_t errlen)
{
	const char *p[5] = {tenant, image, tag, status, request_id};
	const char *q[2] = {tenant, request_id};
	PGresult *r;

	*seen = NULL;
	r = sp_pg_query(c, "INSERT INTO sp_cloud.deployments (tenant, image, tag,"
	    " status, request_id) VALUES ($1, $2, $3, $4, $5)"
	    " ON CONFLICT (tenant, request_id) DO NOTHING RETURNING id", 5, p, NULL, err, errlen);
	if (!r)
		return CS_ERR;
	if (PQntuples(r) == 1) {
		snprintf(id, 37, "%s", PQgetvalue(r, 0, 0));
		PQclear(r);
		return CS_OK;
	}
	PQclear(r);
	/* this request was seen before: what became of it */
	r = sp_pg_query(c, "SELECT json_strip_nulls(json_build_object('deployment_id', id, 'image', image,"
	    " 'tag', tag, 'status', status, 'exit_code', exit_code, 'app_url', app_url))::text"
	    " FROM sp_cloud.deployments WHERE tenant = $1 AND request_id = $2", 2, q, NULL, err, errlen);
	if (!r)
		return CS_ERR;
	if (PQntuples(r) != 1) {
		PQclear(r);
		snprintf(err, errlen, "request %s: conflict, but no deployment", request_id);
		return CS_ERR;
	}
	*seen = json_loads(PQgetvalue(r, 0, 0), 0, NULL);
	snprintf(id, 37, "%s", json_string_value(json_object_get(*seen, "deployment_id")));
	PQclear(r);
	return CS_EXISTS;
}

int
cs_deploy_finish(PGconn *c, const char *id, const char *status, int exit_code,
    const char *app_url, char *err, size_t errlen)
{
	char code[16];
	const char *p[4] = {id, status, exit_code >= 0 ? code : NULL, app_url};
	PGresult *r;

	snprintf(code, sizeof code, "%d", exit_code);
	r = sp_pg_query(c, "UPDATE sp_cloud.deployments SET status = $2,"
	    " exit_code = $3, app_url = $4, finished_at = clock_timestamp() WHERE id = $1", 4, p,
	    NULL, err, errlen);
	PQclear(r);
	return r ? CS_OK : CS_ERR;
}

int
cs_deploy_list(PGconn *c, const char *tenant, json_t **out, char *err, size_t errlen)
{
	const char *p[1] = {tenant};

	return json_rows(c,
	    "SELECT json_strip_nulls(json_build_object('deployment_id', id, 'image', image,"
	    " 'tag', tag, 'status', status, 'exit_code', exit_code, 'app_url', app_url,"
	    " 'created_at', " TS("created_at") ", 'finished_at', " TS("finished_at") "))::text"
	    " FROM sp_cloud.deployments WHERE tenant = $1 ORDER BY created_at DESC, id LIMIT 1000",
	    1, p, out, err, errlen);
}

int
cloud_rows_init(PGconn *c, const char *schema, char *err, size_t errlen)
{
	return sp_db_init(c, schema, err, errlen) ? -1 : 0;
}
