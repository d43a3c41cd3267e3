/* store.h - sp-cloudd's own state in PostgreSQL schema "sp_cloud":
 * tenants, token hashes, archives (in 1 MiB bytea chunks) with their
 * generation, deployments. Functions return CS_OK, CS_NOTFOUND, CS_EXISTS
 * or CS_ERR with a message in err; none of them exits. */
#ifndef SP_CLOUD_STORE_H
#define SP_CLOUD_STORE_H

#include <stddef.h>
#include <jansson.h>
#include <libpq-fe.h>

#include "cloud/auth.h"
#include "core/hash.h"

enum { CS_OK = 0, CS_NOTFOUND = 1, CS_EXISTS = 2, CS_ERR = -1 };

#define CS_CHUNK (1 << 20)	/* bytes per stored archive chunk */
#define CS_SCHEMA_MAX 64	/* longest PostgreSQL identifier + NUL */

/* Create (idempotently, under an advisory lock, in one transaction) the
 * sp_cloud schema and its tables. */
int cs_schema_apply(PGconn *c, char *err, size_t errlen);

/* Prepare the statements the request paths use on a new connection. */
int cs_prepare(PGconn *c, char *err, size_t errlen);

/* The PostgreSQL schema name that holds tenant's rows ("tenant_ID", with a
 * hash suffix when the id is too long for an identifier). */
void cs_tenant_schema(const char *tenant, char out[CS_SCHEMA_MAX]);

/* Create tenant's row schema with init(c, schema) (idempotent, in a
 * transaction of its own), then the tenant and a first token in one
 * transaction; the token goes to tok[CLOUD_TOKEN_LEN + 1]. CS_EXISTS when
 * the tenant exists. */
int cs_tenant_add(PGconn *c, const char *tenant,
    int (*init)(PGconn *c, const char *schema, char *err, size_t errlen),
    char *tok, char *err, size_t errlen);

/* Delete tenant with its tokens, archives, deployments and row schema.
 * CS_NOTFOUND when there is no such tenant. */
int cs_tenant_delete(PGconn *c, const char *tenant, char *err, size_t errlen);

/* The tenants as an array of {"type":"tenant","id","created_at",
 * "generation","tokens"} objects, ordered by id. */
int cs_tenant_list(PGconn *c, json_t **out, char *err, size_t errlen);

/* Find tenant's row schema into schema[CS_SCHEMA_MAX]; CS_NOTFOUND when
 * the tenant does not exist. */
int cs_tenant_get(PGconn *c, const char *tenant, char *schema, char *err, size_t errlen);

/* A new token for an existing tenant into tok[CLOUD_TOKEN_LEN + 1]. */
int cs_token_add(PGconn *c, const char *tenant, char *tok, char *err, size_t errlen);

/* Tokens (never their hashes) as {"type":"token","id","tenant",
 * "created_at","revoked_at"} objects; tenant NULL lists all. */
int cs_token_list(PGconn *c, const char *tenant, json_t **out, char *err, size_t errlen);

/* Revoke the token with this id (CS_NOTFOUND: no such live token). */
int cs_token_revoke(PGconn *c, const char *id, char *err, size_t errlen);


struct cs_archive {
	long long id, size, generation;
	long long base_id;	/* cs_archive_store: commit only while this
				 * archive is current (0: always) */
	int files;
	char sha256[SP_HEXLEN], manifest_sha256[SP_HEXLEN];
	char uploaded_at[40];
	char *manifest;		/* the .sp-manifest.json bytes (malloc), or NULL */
	size_t manifest_len;
};

/* Authenticate a parsed token (prepared statements needed): CS_OK with the
 * owning tenant in tenant[CLOUD_TENANT_MAX + 1] when a live token with this
 * id has this hash (compared in constant time), else CS_NOTFOUND. With cur,
 * the same round trip also fetches the owning tenant's current archive
 * (no manifest) into *cur, *has_cur saying whether there is one. */
int cs_auth(PGconn *c, const char *id, const unsigned char hash[32], char *tenant,
    struct cs_archive *cur, int *has_cur, char *err, size_t errlen);

/* The current archive of tenant (with_manifest: load its manifest too).
 * CS_NOTFOUND before the first push. */
int cs_archive_current(PGconn *c, const char *tenant, int with_manifest,
    struct cs_archive *a, char *err, size_t errlen);

/* Store the archive read from fd (a->size bytes, a->sha256, manifest and
 * counts filled in) as tenant's next generation in one transaction, then
 * drop generations older than the newest keep. Sets a->id, generation and
 * uploaded_at. With a->base_id, CS_EXISTS (nothing stored) when another
 * archive became current meanwhile. */
int cs_archive_store(PGconn *c, const char *tenant, int fd, struct cs_archive *a,
    int keep, char *err, size_t errlen);

/* Pass the bytes of archive id, in order, to sink (which returns 0, or -1
 * with errno set); returns the byte count, or -1 with err set. */
long long cs_archive_fetch(PGconn *c, long long id,
    int (*sink)(void *arg, const void *p, size_t n), void *arg, char *err, size_t errlen);

/* Free a->manifest. */
void cs_archive_clear(struct cs_archive *a);

/* Record a deployment of image:tag with status; its id (a UUID) goes to
 * id[37]. request_id (a UUID or NULL) makes it happen once: when the
 * tenant has a deployment with that request_id already, nothing is added,
 * *seen is set to it ({deployment_id, image, tag, status, …}, caller
 * decrefs) and the result is CS_EXISTS. */
int cs_deploy_add(PGconn *c, const char *tenant, const char *image, const char *tag,
    const char *status, const char *request_id, char *id, json_t **seen, char *err, size_t errlen);

/* Set a deployment's final status, exit code (<0: none) and app_url. */
int cs_deploy_finish(PGconn *c, const char *id, const char *status, int exit_code,
    const char *app_url, char *err, size_t errlen);

/* tenant's deployments, newest first, as a JSON array. */
int cs_deploy_list(PGconn *c, const char *tenant, json_t **out, char *err, size_t errlen);

/* The tenant row tables (sp(7) "RECORDS", row) in schema: sp_db_init. */
int cloud_rows_init(PGconn *c, const char *schema, char *err, size_t errlen);

#endif
