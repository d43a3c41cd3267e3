/* call.c - what an endpoint uses to answer: replies, pooled connections,
 * entity tags. The HTTP layer (http.c) turns the reply into a response. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cloud/call.h"
#include "cloud/pool.h"
#include "core/err.h"

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

void
cloud_log_unavailable(struct cloud_server *s, const char *err)
{
	/* the details (a socket path, host:port) go to the log only */
	if (!s->cfg.quiet)
		sp_warn("database unavailable: %s", err);
}

PGconn *
cloud_conn(struct cloud_call *k)
{
	char err[512];
	PGconn *c = cloud_pool_get(k->srv->pool, err, sizeof err);

	if (!c) {
		k->retry_after = 1;
		cloud_log_unavailable(k->srv, err);
		cloud_reply_error(k, 503, "database unavailable");
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
	} else if (sp_pg_lost(c)) {
		k->retry_after = 1;
		cloud_log_unavailable(k->srv, err);
		cloud_reply_error(k, 503, "database unavailable");
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

int
cloud_spool_anon(struct cloud_call *k, const char *what)
{
	char *tmp = sp_asprintf("%s/.sp-tmp.%s.XXXXXX", k->srv->spool, what);
	int fd = mkostemp(tmp, O_CLOEXEC);

	if (fd >= 0)
		unlink(tmp);
	else
		cloud_reply_error(k, 500, "spool: %s", strerror(errno));
	free(tmp);
	return fd;
}
