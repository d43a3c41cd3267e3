/* http.c - sp-cloudd's HTTP layer on libmicrohttpd: one thread per
 * connection, routing through the route table, bearer authentication,
 * request bodies streamed to a spool file, JSON errors, and one access log
 * line per request. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "cloud/auth.h"
#include "cloud/call.h"
#include "cloud/guard.h"
#include "cloud/http.h"
#include "cloud/pool.h"
#include "cloud/route.h"
#include "cloud/store.h"
#include "core/err.h"
#include "core/fsutil.h"
#include "core/hex.h"

/* Bytes of an oversize body read (and dropped) before the connection is
 * simply closed. */
#define DRAIN_MAX (8LL << 20)

/* Bytes of a body sent to a route that takes none (a GET) before the
 * connection is closed. */
#define STRAY_MAX (64LL << 10)

struct req {
	struct cloud_server *srv;
	struct timespec t0;
	int phase;		/* 0 new, 1 reading the body, 2 replied */
	char method[16];
	char path[256];		/* sanitised, for the log */
	char addr[INET6_ADDRSTRLEN];
	const struct cloud_route *route;
	char tenant[CLOUD_TENANT_MAX + 1];
	int status;
	long long bytes;
	long long limit;	/* body limit; 0: a body is dropped */
	int fd;			/* spool file */
	char *spool;
	long long size, dropped;
	sp_sha256 h;
	int hashing, over, spool_errno;
	struct cs_archive cur;	/* the tenant's current archive, fetched */
	int cur_state;		/* with the token: 0 no, 1 yes, 2 none */
	struct cloud_conn *gc;	/* the connection as the guard watches it */
};

/* Copy a request path for the log: no control bytes, and anything that
 * looks like a token is blotted out. */
static void
sanitise(char *out, size_t outlen, const char *path)
{
	size_t i = 0;
	char *t;

	for (; *path && i + 1 < outlen; path++)
		out[i++] = (unsigned char)*path < 0x20 || *path == 0x7f || *path == '"' ? '?' : *path;
	out[i] = '\0';
	for (t = out; (t = strstr(t, "spt_")); t += 4)
		for (i = 4; t[i] && t[i] != '/'; i++)
			t[i] = 'x';
}

static void *
on_uri(void *cls, const char *uri, struct MHD_Connection *con)
{
	struct req *q = sp_calloc(1, sizeof *q);
	const union MHD_ConnectionInfo *ci;

	q->srv = cls;
	q->fd = -1;
	q->gc = cloud_guard_conn(con);
	strcpy(q->path, "-");
	if (uri) {	/* the path only: a query string may carry anything */
		char p[sizeof q->path];
		snprintf(p, sizeof p, "%.*s", (int)strcspn(uri, "?"), uri);
		sanitise(q->path, sizeof q->path, p);
	}
	strcpy(q->method, "-");
	clock_gettime(CLOCK_MONOTONIC, &q->t0);
	ci = MHD_get_connection_info(con, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci && ci->client_addr) {
		const struct sockaddr *sa = ci->client_addr;
		if (sa->sa_family == AF_INET)
			inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, q->addr, sizeof q->addr);
		else if (sa->sa_family == AF_INET6)
			inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, q->addr, sizeof q->addr);
	}
	if (!q->addr[0])
		strcpy(q->addr, "-");
	return q;
}

static void
drop_spool(struct req *q)
{
	if (q->fd >= 0)
		close(q->fd);
	q->fd = -1;
	if (q->spool)
		unlink(q->spool);
	free(q->spool);
	q->spool = NULL;
	if (q->hashing)
		sp_sha256_free(&q->h);
	q->hashing = 0;
}

static void
on_done(void *cls, struct MHD_Connection *con, void **ptr, enum MHD_RequestTerminationCode why)
{
	struct cloud_server *s = cls;
	struct req *q = *ptr;
	struct timespec t1;
	char line[512], when[32];
	time_t now;
	struct tm tm;
	long ms;

	(void)con;
	if (!q)
		return;
	*ptr = NULL;
	if (!s->cfg.quiet) {
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ms = (t1.tv_sec - q->t0.tv_sec) * 1000 + (t1.tv_nsec - q->t0.tv_nsec) / 1000000;
		now = time(NULL);
		gmtime_r(&now, &tm);
		strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
		snprintf(line, sizeof line, "%s: %s %s %s %s %d %lld %ldms%s\n", sp_prog, when,
		    q->addr, q->method, q->path, q->status, q->bytes, ms,
		    why == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : q->phase == 0 &&
		    why == MHD_REQUEST_TERMINATED_WITH_ERROR ? " (refused by libmicrohttpd: a malformed"
		    " request, or headers over its 256 KiB)" : " (aborted)");
		if (write(STDERR_FILENO, line, strlen(line)) < 0) {
			/* nowhere left to report it */
		}
	}
	drop_spool(q);
	cloud_guard_next(q->gc);
	free(q);
}

/* Turn the call's reply into a queued response. */
static enum MHD_Result
respond(struct MHD_Connection *con, struct req *q, struct cloud_call *k)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	char tag[SP_HEXLEN + 2], num[24];
	const char *ctype = k->ctype;

	if (!k->status)
		cloud_reply_error(k, 500, "no reply");
	if (k->fd >= 0) {
		r = MHD_create_response_from_fd64((uint64_t)k->fdsize, k->fd);
		q->bytes = k->fdsize;
		if (!r)
			close(k->fd);
		k->fd = -1;
	} else if (k->buf) {
		r = MHD_create_response_from_buffer(k->buflen, k->buf, MHD_RESPMEM_MUST_FREE);
		q->bytes = (long long)k->buflen;
		if (r)
			k->buf = NULL;
	} else if (k->json) {
		char *s = json_dumps(k->json, JSON_COMPACT);
		size_t n = s ? strlen(s) : 0;
		char *b = sp_malloc(n + 2);
		memcpy(b, s ? s : "", n);
		b[n++] = '\n';
		b[n] = '\0';
		free(s);
		r = MHD_create_response_from_buffer(n, b, MHD_RESPMEM_MUST_FREE);
		if (!r)
			free(b);
		q->bytes = (long long)n;
		ctype = "application/json";
	} else {
		r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
		q->bytes = 0;
	}
	free(k->buf);
	k->buf = NULL;
	json_decref(k->json);
	k->json = NULL;
	if (!r)
		return MHD_NO;
	if (ctype)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	if (k->etag[0]) {
		snprintf(tag, sizeof tag, "\"%s\"", k->etag);
		MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, tag);
		MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
	}
	if (k->generation[0])
		MHD_add_response_header(r, "X-Sp-Generation", k->generation);
	if (k->retry_after) {
		snprintf(num, sizeof num, "%d", k->retry_after);
		MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, num);
	}
	if (k->status == 401)
		MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"sp\"");
	if (k->status == 405 && q->route)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, q->route->allow);
	q->status = k->status;
	q->phase = 2;
	ret = MHD_queue_response(con, (unsigned)k->status, r);
	MHD_destroy_response(r);
	return ret;
}

/* Reply with an error at once. */
static enum MHD_Result
refuse(struct MHD_Connection *con, struct req *q, int status, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static enum MHD_Result
refuse(struct MHD_Connection *con, struct req *q, int status, const char *fmt, ...)
{
	struct cloud_call k = {.srv = q->srv, .fd = -1, .body_fd = -1};
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	cloud_reply_error(&k, status, "%s", msg);
	if (status == 503)
		k.retry_after = 1;
	return respond(con, q, &k);
}

static enum MHD_Result
find_query_token(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	int *found = cls;

	(void)kind;
	if (strcasestr(key, "token") || strcasestr(key, "auth") || (value && strstr(value, "spt_"))) {
		*found = 1;
		return MHD_NO;
	}
	return MHD_YES;
}

/* Authenticate a tenant route: 0 when the bearer token opens q->tenant,
 * otherwise the reply is queued and the MHD result is in *ret. */
static int
authenticate(struct MHD_Connection *con, struct req *q, enum MHD_Result *ret)
{
	const char *hv, *tok;
	char id[CLOUD_TOKEN_IDLEN + 1], owner[CLOUD_TENANT_MAX + 1], err[512];
	unsigned char hash[32];
	size_t n = 0;
	int rc, inquery = 0, want, has = 0;
	PGconn *c;

	MHD_get_connection_values(con, MHD_GET_ARGUMENT_KIND, find_query_token, &inquery);
	hv = MHD_lookup_connection_value(con, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	tok = cloud_bearer(hv, &n);
	if (inquery) {
		*ret = refuse(con, q, 401, "a token is accepted only in the Authorization header,"
		    " never in the URL");
		return -1;
	}
	if (!tok) {
		*ret = refuse(con, q, 401, "missing bearer token: send \"Authorization: Bearer TOKEN\"");
		return -1;
	}
	if (cloud_token_parse(tok, n, id, hash) != 0) {
		*ret = refuse(con, q, 401, "invalid token");
		return -1;
	}
	c = cloud_pool_get(q->srv->pool, err, sizeof err);
	if (!c) {
		cloud_log_unavailable(q->srv, err);
		*ret = refuse(con, q, 503, "database unavailable");
		return -1;
	}
	/* the hot paths get the current archive in the same round trip */
	want = q->route->current && strcmp(q->method, "POST");
	rc = cs_auth(c, id, hash, owner, want ? &q->cur : NULL, &has, err, sizeof err);
	if (rc == CS_OK && want)
		q->cur_state = has ? 1 : 2;
	if (rc == CS_ERR) {
		int lost = sp_pg_lost(c);
		cloud_pool_put(q->srv->pool, c);
		if (lost)
			cloud_log_unavailable(q->srv, err);
		*ret = lost ? refuse(con, q, 503, "database unavailable") :
		    refuse(con, q, 500, "database error: %s", err);
		return -1;
	}
	cloud_pool_put(q->srv->pool, c);
	if (rc != CS_OK) {
		*ret = refuse(con, q, 401, "invalid token");
		return -1;
	}
	if (strcmp(owner, q->tenant)) {
		*ret = refuse(con, q, 403, "this token does not open tenant %s", q->tenant);
		return -1;
	}
	return 0;
}

/* Run the endpoint of a complete request and queue its reply. */
static enum MHD_Result
dispatch(struct MHD_Connection *con, struct req *q, int post)
{
	struct cloud_call k = {.srv = q->srv, .fd = -1, .body_fd = -1};
	enum MHD_Result ret;

	k.tenant = q->tenant;
	k.post = post;
	k.base = MHD_lookup_connection_value(con, MHD_HEADER_KIND, "X-Sp-Base");
	k.if_none_match = MHD_lookup_connection_value(con, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_IF_NONE_MATCH);
	if (q->cur_state) {
		k.current = &q->cur;
		k.has_current = q->cur_state == 1;
	}
	if (q->fd >= 0) {
		if (q->hashing) {
			sp_sha256_final(&q->h, k.body_sha256);
			q->hashing = 0;
		}
		if (lseek(q->fd, 0, SEEK_SET) < 0)
			return refuse(con, q, 500, "spool: %s", strerror(errno));
		k.body_fd = q->fd;
		k.body_size = q->size;
		k.body_path = q->spool;
	}
	cloud_route_handler(q->route, q->method)(&k);
	if (!k.body_path)	/* the endpoint took the spool file and its name */
		q->spool = NULL;
	ret = respond(con, q, &k);
	if (k.fd >= 0)
		close(k.fd);
	return ret;
}

/* Whether addr is one of the --trusted-proxy addresses. */
static int
trusted(const struct cloud_config *cfg, const char *addr)
{
	for (int i = 0; i < cfg->nproxies; i++)
		if (!strcmp(cfg->proxies[i], addr))
			return 1;
	return 0;
}

/* From a trusted proxy, the client is the rightmost X-Forwarded-For
 * address that is not itself a trusted proxy (what the proxies appended;
 * whatever the client wrote to the left is not believed). Anything else
 * keeps the peer's address. Only the access log uses it. */
static void
forwarded_for(struct MHD_Connection *con, struct req *q)
{
	const char *xff;
	char buf[1024], *tok, *save = NULL, *v[32];
	unsigned char b[16];
	int n = 0;

	if (!trusted(&q->srv->cfg, q->addr) ||
	    !(xff = MHD_lookup_connection_value(con, MHD_HEADER_KIND, "X-Forwarded-For")))
		return;
	snprintf(buf, sizeof buf, "%s", xff);
	/* the last 32 entries: the right end is what the proxies wrote */
	for (tok = strtok_r(buf, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save))
		v[n++ % 32] = tok;
	for (int k = 0; k < 32 && n > 0; k++, n--) {
		const char *c = v[(n - 1) % 32];

		if (trusted(&q->srv->cfg, c))
			continue;	/* appended by another trusted proxy in the chain */
		if (inet_pton(AF_INET, c, b) == 1 || inet_pton(AF_INET6, c, b) == 1)
			snprintf(q->addr, sizeof q->addr, "%s", c);
		break;
	}
}

/* Headers are in: route, check the method, authenticate, and either
 * reply at once or get ready for the body. */
static enum MHD_Result
begin(struct MHD_Connection *con, struct req *q, const char *url, const char *method, int *wait)
{
	const char *cl;
	enum MHD_Result ret;
	int bad;

	*wait = 0;
	snprintf(q->method, sizeof q->method, "%s", method);
	forwarded_for(con, q);
	sanitise(q->path, sizeof q->path, url);
	q->route = cloud_route_match(url, q->tenant, &bad);
	if (!q->route)
		return refuse(con, q, 404, "no such path");
	if (!cloud_route_handler(q->route, method))
		return refuse(con, q, 405, "method %s not allowed here (allowed: %s)", q->method,
		    q->route->allow);
	if (bad)
		return refuse(con, q, 400, "invalid tenant id (expected [a-z0-9_-]{1,64})");
	if (q->route->tenant && authenticate(con, q, &ret) != 0)
		return ret;
	q->limit = cloud_route_body_limit(&q->srv->cfg, q->route, method);
	*wait = 1;
	if (!q->limit)
		return MHD_YES;	/* replying now would cost the keep-alive */
	cl = MHD_lookup_connection_value(con, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl && strtoll(cl, NULL, 10) > q->limit)
		return refuse(con, q, 413, "request body over the limit of %lld bytes", q->limit);
	q->spool = sp_asprintf("%s/.sp-tmp.body.XXXXXX", q->srv->spool);
	/* close-on-exec: a deploy hook must not inherit another request's body */
	q->fd = mkostemp(q->spool, O_CLOEXEC);
	if (q->fd < 0) {
		free(q->spool);
		q->spool = NULL;
		return refuse(con, q, 500, "cannot spool the request body: %s", strerror(errno));
	}
	sp_sha256_init(&q->h);
	q->hashing = 1;
	return MHD_YES;
}

static enum MHD_Result
handle(void *cls, struct MHD_Connection *con, const char *url, const char *method,
    const char *version, const char *data, size_t *size, void **ptr)
{
	struct req *q = *ptr;
	int wait;

	(void)version;
	if (!q)
		*ptr = q = on_uri(cls, url, con);
	if (q->phase == 0) {
		enum MHD_Result ret;
		q->phase = 1;
		cloud_guard_headers(q->gc);
		wait = 0;
		ret = begin(con, q, url, method, &wait);
		if (!wait || ret != MHD_YES)
			return ret;
		if (!*size)
			return MHD_YES;
	}
	if (q->phase == 2) {	/* replied already: drop the rest */
		*size = 0;
		return MHD_YES;
	}
	if (*size) {
		cloud_guard_body(q->gc, *size);
		if (!q->limit) {
			/* a body where none belongs is ignored, up to a point */
			q->dropped += (long long)*size;
			if (q->dropped > STRAY_MAX) {
				q->status = 413;
				return MHD_NO;
			}
		} else if (q->over || q->spool_errno) {
			q->dropped += (long long)*size;
			if (q->dropped > DRAIN_MAX)
				return MHD_NO;
		} else if (q->size + (long long)*size > q->limit) {
			/* a body without a length (chunked) past the limit: its
			 * spool goes now; libmicrohttpd 0.9 cannot answer before the
			 * body ends, so up to DRAIN_MAX more is read and dropped for
			 * a 413, then the connection is closed */
			q->over = 1;
			q->status = 413;
			drop_spool(q);
		} else if (sp_write_all(q->fd, data, *size) != 0) {
			q->spool_errno = errno;
		} else {
			sp_sha256_update(&q->h, data, *size);
			q->size += (long long)*size;
		}
		*size = 0;
		return MHD_YES;
	}
	cloud_guard_busy(q->gc);
	if (q->over)
		return refuse(con, q, 413, "request body over the limit of %lld bytes", q->limit);
	if (q->spool_errno)
		return refuse(con, q, q->spool_errno == ENOSPC ? 507 : 500,
		    "cannot spool the request body: %s", strerror(q->spool_errno));
	return dispatch(con, q, q->limit > 0);
}

/* Percent-decode in place, except %2F and %00: an encoded slash must not
 * become a path separator, nor a NUL cut the path short. */
static size_t
unescape(void *cls, struct MHD_Connection *con, char *s)
{
	char *r = s, *w = s;

	(void)cls, (void)con;
	while (*r) {
		int hi, lo;
		if (r[0] == '%' && (hi = sp_hexval(r[1])) >= 0 && (lo = sp_hexval(r[2])) >= 0 &&
		    (hi << 4 | lo) != '/' && (hi << 4 | lo) != 0) {
			*w++ = (char)(hi << 4 | lo);
			r += 3;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
	return (size_t)(w - s);
}

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[1024];
	char *nl;

	(void)cls;
	vsnprintf(msg, sizeof msg, fmt, ap);
	while ((nl = strrchr(msg, '\n')) && !nl[1])
		*nl = '\0';
	sp_warn("%s", msg);
}

struct MHD_Daemon *
cloud_http_start(struct cloud_server *s, const struct sockaddr *sa, int v6)
{
	unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
	    MHD_USE_POLL | MHD_USE_ERROR_LOG | (v6 ? MHD_USE_IPv6 : 0);

	return MHD_start_daemon(flags, 0, NULL, NULL, handle, s,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s,
	    MHD_OPTION_SOCK_ADDR, sa,
	    MHD_OPTION_URI_LOG_CALLBACK, on_uri, s,
	    MHD_OPTION_UNESCAPE_CALLBACK, unescape, s,
	    MHD_OPTION_NOTIFY_COMPLETED, on_done, s,
	    MHD_OPTION_NOTIFY_CONNECTION, cloud_guard_notify, s->guard,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)s->cfg.per_addr,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)s->cfg.max_conns,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)s->cfg.timeout,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(256 * 1024),
	    MHD_OPTION_END);
}

unsigned
cloud_http_port(struct MHD_Daemon *d)
{
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);

	return di ? (unsigned)di->port : 0;
}

void
cloud_http_stop(struct MHD_Daemon *d)
{
	MHD_stop_daemon(d);
}
