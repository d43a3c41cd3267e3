/* server.c - starting and stopping sp-cloudd: the listen address, the
 * state schema and every tenant's tables, the work directory (spool and
 * cache), the connection pool, the HTTP daemon. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cloud/cache.h"
#include "cloud/guard.h"
#include "cloud/http.h"
#include "cloud/pool.h"
#include "cloud/probe.h"
#include "cloud/server.h"
#include "cloud/store.h"
#include "core/err.h"
#include "core/fsutil.h"
#include "pg/pg.h"

void
cloud_config_default(struct cloud_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->listen = "127.0.0.1:8787";
	cfg->conninfo = getenv("DATABASE_URL");
	cfg->max_body = 1LL << 30;
	cfg->max_json = 256LL << 20;
	cfg->max_row = 64LL << 20;
	cfg->max_tree = 4LL << 30;	/* sp-unpack --max-size default */
	cfg->cache_size = 1LL << 30;
	cfg->db_conns = 16;
	cfg->max_conns = 512;
	cfg->timeout = 120;
	cfg->per_addr = 32;
	cfg->header_timeout = 30;
	cfg->min_rate = 1024;
	cfg->rate_time = 30;
	cfg->db_wait = 5;
	cfg->max_verify = 4;
	cfg->db_timeout = 120;
	cfg->deploy_timeout = 600;
	cfg->keep = 2;
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

static long stmt_timeout_ms;	/* --db-timeout, for every pooled connection */

static int
setup_conn(PGconn *c, char *err, size_t errlen)
{
	char sql[160];

	/* the server ends a statement past the deadline; the pool's watchdog
	 * covers a server that cannot (frozen, or unreachable) */
	snprintf(sql, sizeof sql, "SET statement_timeout = %ld; SET lock_timeout = %ld;"
	    " SET idle_in_transaction_session_timeout = %ld", stmt_timeout_ms, stmt_timeout_ms,
	    stmt_timeout_ms);
	return sp_pg_session(c, err, errlen) == 0 && cs_prepare(c, err, errlen) == CS_OK &&
	    (!stmt_timeout_ms || sp_pg_exec(c, sql, NULL, err, errlen) == 0) ? 0 : -1;
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
	/* one server per work directory: a second one would remove the
	 * first's spool and cache files as leftovers */
	{
		char *lock = sp_asprintf("%s/lock", s->work), pid[32];
		int n;

		s->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (s->lock_fd < 0 || flock(s->lock_fd, LOCK_EX | LOCK_NB) != 0) {
			int e = errno;
			char other[32] = "";

			if (s->lock_fd >= 0 && (n = (int)pread(s->lock_fd, other, sizeof other - 1, 0)) > 0)
				other[strcspn(other, "\n")] = '\0';
			snprintf(err, errlen, "%s: %s", s->work, e == EWOULDBLOCK ?
			    "in use by another sp-cloudd" : strerror(e));
			if (e == EWOULDBLOCK && other[0]) {
				size_t k = strlen(err);
				snprintf(err + k, errlen - k, " (pid %.20s)", other);
			}
			free(lock);
			return -1;
		}
		n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
		if (ftruncate(s->lock_fd, 0) != 0 || pwrite(s->lock_fd, pid, (size_t)n, 0) != n) {
			snprintf(err, errlen, "%s: %s", lock, strerror(errno));
			free(lock);
			return -1;
		}
		free(lock);
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
	PGresult *r = sp_pg_query(c, "SELECT db_schema FROM sp_cloud.tenants", 0, NULL, NULL, err, errlen);
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
	char host[INET6_ADDRSTRLEN];
	PGconn *c;
	int v6 = 0;

	s->lock_fd = -1;
	s->cfg = *cfg;
	pthread_mutex_init(&s->cache_mu, NULL);
	sem_init(&s->verify, 0, (unsigned)(cfg->max_verify > 0 ? cfg->max_verify : 4));
	s->mcache = cloud_mcache_new();
	*status = SP_EX_USAGE;
	if (parse_listen(cfg->listen, &ss, &sslen, &v6, err, errlen) != 0)
		goto fail;
	*status = cfg->conninfo && *cfg->conninfo ? SP_EX_UNAVAILABLE : SP_EX_CONFIG;
	if (!(c = cloud_pool_connect(cfg->conninfo, err, errlen)))
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
	cloud_pool_limits(s->pool, cfg->db_wait, cfg->db_timeout ? cfg->db_timeout + 2 : 0);
	stmt_timeout_ms = cfg->db_timeout * 1000L;
	if (!(s->probe = cloud_probe_start(cfg->conninfo))) {
		snprintf(err, errlen, "cannot start the database probe: %s", strerror(errno));
		*status = SP_EX_SOFTWARE;
		goto fail;
	}
	s->guard = cloud_guard_start(cfg->header_timeout, cfg->min_rate, cfg->rate_time, cfg->quiet);
	if (!s->guard) {
		snprintf(err, errlen, "cannot start the connection guard: %s", strerror(errno));
		*status = SP_EX_SOFTWARE;
		goto fail;
	}
	s->daemon = cloud_http_start(s, (struct sockaddr *)&ss, v6);
	if (!s->daemon) {
		snprintf(err, errlen, "cannot listen on %s", cfg->listen);
		goto fail;
	}
	*status = 0;
	if (v6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, host, sizeof host);
	else
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, host, sizeof host);
	snprintf(s->url, sizeof s->url, v6 ? "http://[%s]:%u" : "http://%s:%u", host,
	    cloud_http_port(s->daemon));
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
		cloud_http_stop(s->daemon);
	cloud_guard_stop(s->guard);
	cloud_probe_stop(s->probe);
	cloud_pool_free(s->pool);
	if (s->own_work && s->work)
		sp_rmtree(s->work);
	cloud_mcache_free(s->mcache);
	pthread_mutex_destroy(&s->cache_mu);
	sem_destroy(&s->verify);
	free(s->work);
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	free(s->spool);
	free(s->cache);
	free(s);
}
