/* cloud.h - sp-cloudd, the cloud API of sp-cloudd(8) on libmicrohttpd
 * and PostgreSQL. Nothing here exits: errors come back as messages. */
#ifndef SP_CLOUD_H
#define SP_CLOUD_H

#include <stddef.h>

struct cloud_config {
	const char *listen;	/* "ADDR:PORT", "[ADDR6]:PORT" or ":PORT" */
	const char *conninfo;	/* libpq conninfo of the state database */
	const char *deploy_hook;	/* program run on deploy, or NULL */
	const char *work_dir;	/* spool and cache; NULL: a private temp dir */
	long long max_body;	/* largest archive upload */
	long long max_json;	/* largest database import document */
	long long max_row;	/* largest row in it */
	long long max_tree;	/* largest unpacked tree an archive may hold */
	int max_verify;		/* archive verifications at once (then 503) */
	long long cache_size;	/* archive cache bound, bytes */
	int db_conns;		/* connections in the pool */
	int db_wait;		/* seconds to wait for a free one (then 503) */
	int db_timeout;		/* seconds a request's database work may take */
	int max_conns;		/* concurrent HTTP connections */
	int timeout;		/* idle connection timeout, seconds */
	int per_addr;		/* connections from one address (0: any number) */
	int header_timeout;	/* seconds to send the request headers (0: none) */
	long long min_rate;	/* slowest request body, bytes/s (0: any) ... */
	int rate_time;		/* ... measured over this many seconds */
	int deploy_timeout;	/* seconds before the hook is killed */
	int keep;		/* archive generations kept per tenant */
	int quiet;		/* no access log */
	const char *proxies[16];	/* --trusted-proxy: peers whose
					 * X-Forwarded-For names the client */
	int nproxies;
};

/* The defaults: 127.0.0.1:8787, DATABASE_URL, 1 GiB uploads, ... */
void cloud_config_default(struct cloud_config *cfg);

struct cloud_server;

/* Apply the state schema, open the pool and start serving on cfg->listen
 * (port 0 picks a free port). NULL on failure, with a message in err and
 * the exit status in *status: 78 no database configured, 69 database
 * unreachable, 73 cannot listen or create the work directory, 2 bad
 * listen address. */
struct cloud_server *cloud_start(const struct cloud_config *cfg, int *status, char *err,
    size_t errlen);

/* "http://ADDR:PORT" of a started server. */
const char *cloud_url(const struct cloud_server *s);

/* Stop serving (running requests finish), close the pool, remove the
 * private work directory, free s. */
void cloud_stop(struct cloud_server *s);

#endif
