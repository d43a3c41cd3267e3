/* cloud_http.c - sp-cloudd's HTTP layer on libmicrohttpd: one thread per
 * connection, routing, bearer authentication, request bodies streamed to a
 * spool file, JSON errors, and one access log line per request. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "cloud_pg.h"
#include "cloud_srv.h"
#include "cloud_store.h"
#include "err.h"
#include "fsutil.h"
#include "pg.h"

/* Bytes of an oversize body read (and dropped) before the connection is
 * simply closed. */
#define DRAIN_MAX (64LL << 20)

struct req {
	struct cloud_server *srv;
	struct timespec t0;
	int phase;		/* 0 new, 1 reading the body, 2 replied */
	char method[16];
	char path[256];		/* sanitised, for the log */
	char addr[INET6_ADDRSTRLEN];
	enum cloud_route route;
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
};

void
cloud_config_default(struct cloud_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->listen = "127.0.0.1:8787";
	cfg->conninfo = getenv("DATABASE_URL");
	cfg->max_body = 1LL << 30;
	cfg->max_json = 256LL << 20;
	cfg->max_tree = 4LL << 30;	/* sp-unpack --max-size default */
	cfg->cache_size = 1LL << 30;
	cfg->db_conns = 16;
	cfg->max_conns = 512;
	cfg->timeout = 120;
	cfg->deploy_timeout = 600;
	cfg->keep = 2;
}

void
cloud_reply_json(struct cloud_call *k, int status, json_t *o)
{
	json_decref(k->json);
	free(k->buf);
	k->buf = NULL;
	k->status = status;
	k->json = o;
}

void
cloud_reply_error(struct cloud_call *k, int status, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	cloud_reply_json(k, status, json_pack("{ss}", "error", msg));
}

PGconn *
cloud_conn(struct cloud_call *k)
{
	char err[512];
	PGconn *c = cloud_pool_get(k->srv->pool, err, sizeof err);

	if (!c) {
		k->retry_after = 1;
		cloud_reply_error(k, 503, "database unavailable: %s", err);
	}
	return c;
}

void
cloud_conn_done(struct cloud_call *k, PGconn *c)
{
	cloud_pool_put(k->srv->pool, c);
}

void
cloud_reply_store(struct cloud_call *k, PGconn *c, int rc, const char *err)
{
	if (rc == CS_NOTFOUND) {
		cloud_reply_error(k, 404, "%s", err);
	} else if (cloud_pg_lost(c)) {
		k->retry_after = 1;
		cloud_reply_error(k, 503, "database unavailable: %s", err);
	} else {
		if (!k->srv->cfg.quiet)
			sp_warn("database error: %s", err);
		cloud_reply_error(k, 500, "database error: %s", err);
	}
}

int
cloud_etag_match(const char *inm, const char *etag)
{
	const char *p = inm;
	size_t n = strlen(etag);

	if (!inm || !*etag)
		return 0;
	while (*p) {
		const char *s, *e;
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (!*p)
			break;
		if (*p == '*')
			return 1;
		if (!strncmp(p, "W/", 2))
			p += 2;
		s = p;
		if (*s == '"') {
			s++;
			e = strchr(s, '"');
			if (!e)
				return 0;
			p = e + 1;
		} else {
			e = s + strcspn(s, ", \t");
			p = e;
		}
		if ((size_t)(e - s) == n && !memcmp(s, etag, n))
			return 1;
	}
	return 0;
}

void
cloud_health(struct cloud_call *k)
{
	char err[512];
	PGconn *c = cloud_conn(k);

	if (!c)
		return;
	if (cloud_pg_cmd(c, err, sizeof err, "SELECT 1")) {
		k->retry_after = 1;
		cloud_reply_error(k, 503, "database unavailable: %s", err);
	} else {
		cloud_reply_json(k, 200, json_pack("{ss}", "status", "ok"));
	}
	cloud_conn_done(k, c);
}

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

	(void)uri;	/* may carry a query string: never kept */
	q->srv = cls;
	q->fd = -1;
	strcpy(q->path, "-");
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
		    why == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " (aborted)");
		if (write(STDERR_FILENO, line, strlen(line)) < 0) {
			/* nowhere left to report it */
		}
	}
	drop_spool(q);
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
	if (k->status == 405)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, cloud_route_allow(q->route));
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
		*ret = refuse(con, q, 503, "database unavailable: %s", err);
		return -1;
	}
	/* the hot paths get the current archive in the same round trip */
	want = (q->route == CR_MANIFEST || q->route == CR_FILES) && strcmp(q->method, "POST");
	rc = cs_auth(c, id, hash, owner, want ? &q->cur : NULL, &has, err, sizeof err);
	if (rc == CS_OK && want)
		q->cur_state = has ? 1 : 2;
	if (rc == CS_ERR) {
		int lost = cloud_pg_lost(c);
		cloud_pool_put(q->srv->pool, c);
		*ret = refuse(con, q, lost ? 503 : 500, "database error: %s", err);
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
	switch (q->route) {
	case CR_HEALTH:
		cloud_health(&k);
		break;
	case CR_FILES:
		(post ? cloud_files_push : cloud_files_pull)(&k);
		break;
	case CR_MANIFEST:
		cloud_files_manifest(&k);
		break;
	case CR_DB_IMPORT:
		cloud_db_import(&k);
		break;
	case CR_DB_EXPORT:
		cloud_db_export(&k);
		break;
	case CR_DEPLOY:
		(post ? cloud_deploy_post : cloud_deploy_list)(&k);
		break;
	default:
		cloud_reply_error(&k, 404, "no such path");
	}
	if (!k.body_path)	/* the endpoint took the spool file and its name */
		q->spool = NULL;
	ret = respond(con, q, &k);
	if (k.fd >= 0)
		close(k.fd);
	return ret;
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
	sanitise(q->path, sizeof q->path, url);
	q->route = cloud_route_match(url, q->tenant, &bad);
	if (q->route == CR_NONE)
		return refuse(con, q, 404, "no such path");
	if (!cloud_route_method_ok(q->route, method))
		return refuse(con, q, 405, "method %s not allowed here (allowed: %s)", q->method,
		    cloud_route_allow(q->route));
	if (bad)
		return refuse(con, q, 400, "invalid tenant id (expected [a-z0-9_-]{1,64})");
	if (q->route != CR_HEALTH && authenticate(con, q, &ret) != 0)
		return ret;
	q->limit = cloud_route_body_limit(q->srv, q->route, method);
	*wait = 1;
	if (!q->limit)
		return MHD_YES;	/* replying now would cost the keep-alive */
	cl = MHD_lookup_connection_value(con, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl && strtoll(cl, NULL, 10) > q->limit)
		return refuse(con, q, 413, "request body over the limit of %lld bytes", q->limit);
	q->spool = sp_asprintf("%s/.sp-tmp.body.XXXXXX", q->srv->spool);
	q->fd = mkstemp(q->spool);
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
		if (!q->limit) {
			/* a body where none belongs is ignored */
		} else if (q->over || q->spool_errno) {
			q->dropped += (long long)*size;
			if (q->dropped > DRAIN_MAX)
				return MHD_NO;
		} else if (q->size + (long long)*size > q->limit) {
			q->over = 1;
		} else if (sp_write_all(q->fd, data, *size) != 0) {
			q->spool_errno = errno;
		} else {
			sp_sha256_update(&q->h, data, *size);
			q->size += (long long)*size;
		}
		*size = 0;
		return MHD_YES;
	}
	if (q->over)
		return refuse(con, q, 413, "request body over the limit of %lld bytes", q->limit);
	if (q->spool_errno)
		return refuse(con, q, q->spool_errno == ENOSPC ? 507 : 500,
		    "cannot spool the request body: %s", strerror(q->spool_errno));
	return dispatch(con, q, q->limit > 0);
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
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
		if (r[0] == '%' && (hi = hexval(r[1])) >= 0 && (lo = hexval(r[2])) >= 0 &&
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

/* Parse ADDR:PORT into a socket address. */
static int
parse_listen(const char *spec, struct sockaddr_storage *ss, socklen_t *len, int *v6,
    char *err, size_t errlen)
{
	char host[256];
	const char *colon, *port;
	struct addrinfo hints, *ai;
	int rc;

	if (spec[0] == '[') {
		const char *e = strchr(spec, ']');
		if (!e || e[1] != ':' || (size_t)(e - spec - 1) >= sizeof host)
			goto bad;
		memcpy(host, spec + 1, (size_t)(e - spec - 1));
		host[e - spec - 1] = '\0';
		port = e + 2;
	} else {
		colon = strrchr(spec, ':');
		if (!colon || (size_t)(colon - spec) >= sizeof host)
			goto bad;
		memcpy(host, spec, (size_t)(colon - spec));
		host[colon - spec] = '\0';
		port = colon + 1;
	}
	if (!*port || strspn(port, "0123456789") != strlen(port) || atol(port) > 65535)
		goto bad;
	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	rc = getaddrinfo(*host ? host : NULL, port, &hints, &ai);
	if (rc) {
		snprintf(err, errlen, "cannot resolve %s: %s", spec, gai_strerror(rc));
		return -1;
	}
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*len = ai->ai_addrlen;
	*v6 = ai->ai_family == AF_INET6;
	freeaddrinfo(ai);
	return 0;
bad:
	snprintf(err, errlen, "bad listen address %s (expected ADDR:PORT)", spec);
	return -1;
}

static int
setup_conn(PGconn *c, char *err, size_t errlen)
{
	return sp_pg_session(c, err, errlen) == 0 && cs_prepare(c, err, errlen) == CS_OK ? 0 : -1;
}

/* Remove the temporary files (".sp-tmp.*") in dir. */
static void
remove_temps(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d)))
		if (!strncmp(e->d_name, ".sp-tmp.", 8))
			unlinkat(dirfd(d), e->d_name, 0);
	closedir(d);
}

static int
make_work(struct cloud_server *s, char *err, size_t errlen)
{
	if (s->cfg.work_dir) {
		s->work = sp_strdup(s->cfg.work_dir);
		if (sp_mkdirs(s->work, 0700) != 0) {
			snprintf(err, errlen, "%s: %s", s->work, strerror(errno));
			return -1;
		}
	} else {
		const char *tmp = getenv("TMPDIR");
		s->work = sp_asprintf("%s/sp-cloudd.XXXXXX", tmp && *tmp ? tmp : "/tmp");
		if (!mkdtemp(s->work)) {
			snprintf(err, errlen, "cannot create a work directory %s: %s", s->work,
			    strerror(errno));
			return -1;
		}
		s->own_work = 1;
	}
	s->spool = sp_asprintf("%s/spool", s->work);
	s->cache = sp_asprintf("%s/cache", s->work);
	if ((mkdir(s->spool, 0700) != 0 && errno != EEXIST) ||
	    (mkdir(s->cache, 0700) != 0 && errno != EEXIST)) {
		snprintf(err, errlen, "%s: %s", s->work, strerror(errno));
		return -1;
	}
	/* leftovers of an instance that was killed */
	remove_temps(s->spool);
	remove_temps(s->cache);
	return 0;
}

/* Bring every tenant's row tables up to the current schema (idempotent). */
static int
init_tenants(PGconn *c, char *err, size_t errlen)
{
	PGresult *r = cloud_pg_run(c, err, errlen, "SELECT db_schema FROM sp_cloud.tenants", 0, NULL);
	int i, rc = 0;

	if (!r)
		return -1;
	for (i = 0; i < PQntuples(r) && !rc; i++)
		rc = cloud_rows_init(c, PQgetvalue(r, i, 0), err, errlen);
	PQclear(r);
	return rc;
}

struct cloud_server *
cloud_start(const struct cloud_config *cfg, int *status, char *err, size_t errlen)
{
	struct cloud_server *s = sp_calloc(1, sizeof *s);
	struct sockaddr_storage ss;
	socklen_t sslen;
	const union MHD_DaemonInfo *di;
	char host[INET6_ADDRSTRLEN];
	PGconn *c;
	int v6 = 0;
	unsigned flags;

	s->cfg = *cfg;
	pthread_mutex_init(&s->cache_mu, NULL);
	s->mcache = cloud_mcache_new();
	*status = SP_EX_USAGE;
	if (parse_listen(cfg->listen, &ss, &sslen, &v6, err, errlen) != 0)
		goto fail;
	*status = cfg->conninfo && *cfg->conninfo ? SP_EX_UNAVAILABLE : SP_EX_CONFIG;
	if (!(c = cloud_pg_connect(cfg->conninfo, err, errlen)))
		goto fail;
	if (sp_pg_session(c, err, errlen) != 0 || cs_schema_apply(c, err, errlen) != CS_OK) {
		char msg[512];
		snprintf(msg, sizeof msg, "%s", err);
		snprintf(err, errlen, "cannot apply the state schema: %s", msg);
		PQfinish(c);
		goto fail;
	}
	if (init_tenants(c, err, errlen) != 0) {
		PQfinish(c);
		goto fail;
	}
	PQfinish(c);
	*status = SP_EX_CANTCREAT;
	if (make_work(s, err, errlen) != 0)
		goto fail;
	s->pool = cloud_pool_new(cfg->conninfo, cfg->db_conns, setup_conn);
	flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL |
	    MHD_USE_ERROR_LOG | (v6 ? MHD_USE_IPv6 : 0);
	s->daemon = MHD_start_daemon(flags, 0, NULL, NULL, handle, s,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_URI_LOG_CALLBACK, on_uri, s,
	    MHD_OPTION_UNESCAPE_CALLBACK, unescape, s,
	    MHD_OPTION_NOTIFY_COMPLETED, on_done, s,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)cfg->max_conns,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg->timeout,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(256 * 1024),
	    MHD_OPTION_END);
	if (!s->daemon) {
		snprintf(err, errlen, "cannot listen on %s", cfg->listen);
		goto fail;
	}
	*status = 0;
	di = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
	if (v6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, host, sizeof host);
	else
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, host, sizeof host);
	snprintf(s->url, sizeof s->url, v6 ? "http://[%s]:%u" : "http://%s:%u", host,
	    di ? (unsigned)di->port : 0);
	return s;
fail:
	cloud_stop(s);
	return NULL;
}

const char *
cloud_url(const struct cloud_server *s)
{
	return s->url;
}

void
cloud_stop(struct cloud_server *s)
{
	if (!s)
		return;
	if (s->daemon)
		MHD_stop_daemon(s->daemon);
	cloud_pool_free(s->pool);
	if (s->own_work && s->work)
		sp_rmtree(s->work);
	cloud_mcache_free(s->mcache);
	pthread_mutex_destroy(&s->cache_mu);
	free(s->work);
	free(s->spool);
	free(s->cache);
	free(s);
}
