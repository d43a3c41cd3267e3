/* cloud_srv.h - inside sp-cloudd: the server, one call as an endpoint
 * sees it, the routes and the endpoints. Endpoints fill in a reply; the
 * HTTP layer (cloud_http.c) turns it into a response. */
#ifndef SP_CLOUD_SRV_H
#define SP_CLOUD_SRV_H

#include <pthread.h>
#include <jansson.h>
#include <libpq-fe.h>

#include "cloud.h"
#include "cloud_auth.h"
#include "cloud_store.h"
#include "hash.h"

struct cloud_mcache;

struct cloud_server {
	struct cloud_config cfg;
	struct MHD_Daemon *daemon;
	struct cloud_pool *pool;
	char *work;		/* work directory */
	char *spool, *cache;	/* its subdirectories */
	int own_work;		/* created by us: removed at stop */
	char url[128];
	pthread_mutex_t cache_mu;
	struct cloud_mcache *mcache;	/* manifests by archive sha256, in memory */
};

enum cloud_route {
	CR_NONE, CR_HEALTH, CR_FILES, CR_MANIFEST, CR_DB_IMPORT, CR_DB_EXPORT, CR_DEPLOY,
};

/* Match a decoded request path: the route (CR_NONE: unknown path) and, for
 * tenant routes, the tenant segment copied into tenant[CLOUD_TENANT_MAX+1]
 * with *bad set when it is not a valid tenant id. */
enum cloud_route cloud_route_match(const char *path, char *tenant, int *bad);

/* The methods a route allows, for the Allow header ("GET, HEAD"). */
const char *cloud_route_allow(enum cloud_route r);

/* True when route r accepts method (GET also allows HEAD). */
int cloud_route_method_ok(enum cloud_route r, const char *method);

/* Largest request body route r takes with method (0: none expected). */
long long cloud_route_body_limit(const struct cloud_server *s, enum cloud_route r,
    const char *method);

/* One request, as an endpoint sees it, and its reply. */
struct cloud_call {
	struct cloud_server *srv;
	const char *tenant;	/* authenticated tenant of a tenant route */
	int post;		/* POST (else GET or HEAD) */
	int body_fd;		/* spooled request body, or -1 */
	long long body_size;
	char body_sha256[SP_HEXLEN];
	char *body_path;	/* the spool file's name; an endpoint that keeps
				 * the file takes the name (and frees it) and
				 * sets this NULL */
	const char *if_none_match;	/* header value or NULL */
	const struct cs_archive *current;	/* fetched with the token (no
						 * manifest), or NULL: not fetched */
	int has_current;	/* ... and whether the tenant has one */

	int status;		/* the reply: status and one of three bodies */
	json_t *json;
	char *buf;		/* malloc'd raw body */
	size_t buflen;
	int fd;			/* file body, closed by the HTTP layer */
	long long fdsize;
	const char *ctype;	/* Content-Type of buf or fd */
	char etag[SP_HEXLEN];	/* unquoted; "" for none */
	char generation[24];	/* X-Sp-Generation, "" for none */
	int retry_after;	/* seconds, 0 for none */
};

/* Reply status with {"error": message}. */
void cloud_reply_error(struct cloud_call *k, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Reply status with the JSON object o (reference stolen). */
void cloud_reply_json(struct cloud_call *k, int status, json_t *o);

/* A pooled database connection, or NULL after replying 503. */
PGconn *cloud_conn(struct cloud_call *k);

/* Give the connection back to the pool. */
void cloud_conn_done(struct cloud_call *k, PGconn *c);

/* Reply to a failed store call: 404 for CS_NOTFOUND, 503 when the
 * connection is lost, 500 otherwise, with err as the message. */
void cloud_reply_store(struct cloud_call *k, PGconn *c, int rc, const char *err);

/* True when an If-None-Match value matches the entity tag etag. */
int cloud_etag_match(const char *inm, const char *etag);

/* Endpoints. */
void cloud_health(struct cloud_call *k);
void cloud_files_push(struct cloud_call *k);
void cloud_files_pull(struct cloud_call *k);
void cloud_files_manifest(struct cloud_call *k);
void cloud_db_import(struct cloud_call *k);
void cloud_db_export(struct cloud_call *k);
void cloud_deploy_post(struct cloud_call *k);
void cloud_deploy_list(struct cloud_call *k);

/* Archive cache (a cache only: PostgreSQL holds the truth). */

/* Open the cached archive with this sha256 and size for reading; -1 when
 * it is not cached. */
int cloud_cache_open(struct cloud_server *s, const char *sha256, long long size);

/* A new temporary file in the cache directory: its fd, its malloc'd name
 * in *path; -1 with errno set on failure. */
int cloud_cache_tmp(struct cloud_server *s, char **path);

/* Move the complete file path into the cache as sha256 (path is consumed:
 * renamed or removed), then trim the cache to its size bound. */
void cloud_cache_put(struct cloud_server *s, char *path, const char *sha256);

/* Manifest bytes in memory, by the sha256 of their archive. */
struct cloud_mcache *cloud_mcache_new(void);
void cloud_mcache_free(struct cloud_mcache *m);
/* A malloc'd copy of the manifest of the archive with this sha256 into
 * *buf and *len; 0, or -1 when it is not cached. */
int cloud_mcache_get(struct cloud_mcache *m, const char *sha256, char **buf, size_t *len);
/* Remember a manifest (copied). */
void cloud_mcache_put(struct cloud_mcache *m, const char *sha256, const char *buf, size_t len);

/* The tenant row tables (SPEC section 3) in schema: sp_db_init. */
int cloud_rows_init(PGconn *c, const char *schema, char *err, size_t errlen);

#endif
