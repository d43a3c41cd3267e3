/* admin.c - tenants and tokens from the command line. */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "cloud/admin.h"
#include "cloud/pool.h"
#include "cloud/server.h"
#include "cloud/store.h"
#include "core/err.h"
#include "pg/pg.h"
#include "rec/ndjson.h"

static int
status_of(int rc)
{
	switch (rc) {
	case CS_OK:
		return 0;
	case CS_NOTFOUND:
		return SP_EX_NOINPUT;
	case CS_EXISTS:
		return SP_EX_DATAERR;
	default:
		return SP_EX_UNAVAILABLE;
	}
}

static int
print_list(FILE *out, json_t *list)
{
	size_t i;
	json_t *o;

	json_array_foreach(list, i, o)
		sp_write_record(out, o);
	json_decref(list);
	return 0;
}

static int
usage(char *err, size_t errlen, const char *what)
{
	snprintf(err, errlen, "%s", what);
	return SP_EX_USAGE;
}

static int
tenant_arg(const char *id, char *err, size_t errlen)
{
	if (!cloud_tenant_valid(id)) {
		snprintf(err, errlen, "invalid tenant id \"%.80s\" (expected [a-z0-9_-]{1,64})", id);
		return SP_EX_USAGE;
	}
	return 0;
}

int
cloud_admin(const char *conninfo, int argc, char **argv, FILE *out, char *err, size_t errlen)
{
	char tok[CLOUD_TOKEN_LEN + 1] = "";
	const char *what = argc > 1 ? argv[1] : "";
	int tenant = !strcmp(argv[0], "tenant");
	json_t *list = NULL;
	PGconn *c;
	int rc = CS_OK, i;

	/* check the words before touching the database */
	if (tenant && (!strcmp(what, "add") || !strcmp(what, "delete"))) {
		if (argc != 3)
			return usage(err, errlen, "expected: tenant add|delete ID");
		if ((rc = tenant_arg(argv[2], err, errlen)))
			return rc;
	} else if (tenant && !strcmp(what, "list")) {
		if (argc != 2)
			return usage(err, errlen, "expected: tenant list");
	} else if (!tenant && !strcmp(what, "add")) {
		if (argc != 3)
			return usage(err, errlen, "expected: token add TENANT");
		if ((rc = tenant_arg(argv[2], err, errlen)))
			return rc;
	} else if (!tenant && !strcmp(what, "list")) {
		if (argc > 3)
			return usage(err, errlen, "expected: token list [TENANT]");
		if (argc == 3 && (rc = tenant_arg(argv[2], err, errlen)))
			return rc;
	} else if (!tenant && !strcmp(what, "revoke")) {
		if (argc < 3)
			return usage(err, errlen, "expected: token revoke TOKEN_ID...");
		for (i = 2; i < argc; i++) {
			if (!cloud_token_id_valid(argv[i])) {
				snprintf(err, errlen, "invalid token id \"%.40s\" (16 hex digits, as"
				    " `token list` shows; never the token itself)", argv[i]);
				return SP_EX_USAGE;
			}
		}
	} else {
		snprintf(err, errlen, "unknown command: %s %s", argv[0], what);
		return SP_EX_USAGE;
	}

	if (!conninfo || !*conninfo) {
		snprintf(err, errlen, "no database: set DATABASE_URL or give -d CONNINFO");
		return SP_EX_CONFIG;
	}
	if (!(c = cloud_pool_connect(conninfo, err, errlen)))
		return SP_EX_UNAVAILABLE;
	if ((rc = sp_pg_session(c, err, errlen))) {
		PQfinish(c);
		return rc;
	}
	if (cs_schema_apply(c, err, errlen) != CS_OK) {
		PQfinish(c);
		return SP_EX_UNAVAILABLE;
	}
	if (tenant && !strcmp(what, "add"))
		rc = cs_tenant_add(c, argv[2], cloud_rows_init, tok, err, errlen);
	else if (tenant && !strcmp(what, "delete"))
		rc = cs_tenant_delete(c, argv[2], err, errlen);
	else if (tenant)
		rc = cs_tenant_list(c, &list, err, errlen);
	else if (!strcmp(what, "add"))
		rc = cs_token_add(c, argv[2], tok, err, errlen);
	else if (!strcmp(what, "list"))
		rc = cs_token_list(c, argc == 3 ? argv[2] : NULL, &list, err, errlen);
	else
		for (i = 2; i < argc && rc == CS_OK; i++)
			rc = cs_token_revoke(c, argv[i], err, errlen);
	PQfinish(c);
	if (rc != CS_OK)
		return status_of(rc);
	if (list)
		print_list(out, list);
	if (tok[0]) {
		fprintf(out, "%s\n", tok);
		OPENSSL_cleanse(tok, sizeof tok);
	}
	return 0;
}
