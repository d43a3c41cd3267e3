/* call.h - one request as an endpoint sees it, and how it answers. An
 * endpoint fills in the reply; the HTTP layer (http.c) turns it into a
 * response. Endpoints include this, never http.h. */
#ifndef SP_CLOUD_CALL_H
#define SP_CLOUD_CALL_H

#include <jansson.h>
#include <libpq-fe.h>

#include "cloud/server.h"
#include "cloud/store.h"
#include "core/hash.h"

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
	const char *base;	/* X-Sp-Base: the manifest SHA-256 an incremental
				 * push was planned against, or NULL */
	const struct cs_archive *current;	/* fetched with the token (no
						 * manifest), or NULL: not fetched.
						 * Authentication reads it in the same
						 * round trip for the routes that want it
						 * (route.h "current"): a measured saving
						 * on the hot GETs. */
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

/* Log why the database is unavailable (its address may be in err; the
 * client is told only "database unavailable"). */
void cloud_log_unavailable(struct cloud_server *s, const char *err);

/* A pooled database connection, or NULL after replying 503. */
PGconn *cloud_conn(struct cloud_call *k);

/* A new unlinked file in the spool for a reply body (named .sp-tmp.WHAT
 * while it has a name): its fd, or -1 after replying 500. */
int cloud_spool_anon(struct cloud_call *k, const char *what);

/* Give the connection back to the pool. */
void cloud_conn_done(struct cloud_call *k, PGconn *c);

/* Reply to a failed store call: 404 for CS_NOTFOUND, 503 when the
 * connection is lost, 500 otherwise, with err as the message. */
void cloud_reply_store(struct cloud_call *k, PGconn *c, int rc, const char *err);

/* True when an If-None-Match value matches the entity tag etag. */
int cloud_etag_match(const char *inm, const char *etag);

#endif
