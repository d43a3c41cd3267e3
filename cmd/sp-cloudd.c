/* sp-cloudd - the cloud side of sp: the API of sp-cloudd(8) over
 * PostgreSQL, and the administration of its tenants and tokens. */
#include <arpa/inet.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive/gz.h"
#include "cloud/admin.h"
#include "cloud/cloud.h"
#include "core/cli.h"
#include "core/err.h"
#include "rec/ndjson.h"

static const char usage[] =
    "usage: sp-cloudd [-q] [-l ADDR:PORT] [-d CONNINFO] [--deploy-hook PROGRAM] [OPTION]...\n"
    "       sp-cloudd [-d CONNINFO] tenant add ID | tenant list | tenant delete ID\n"
    "       sp-cloudd [-d CONNINFO] token add TENANT | token list [TENANT] | token revoke TOKEN_ID...\n"
    "Serve the sp cloud API over PostgreSQL, or administer its tenants and tokens.\n"
    "  -l, --listen ADDR:PORT     listen there (default 127.0.0.1:8787; port 0: any)\n"
    "  -d, --database CONNINFO    state database (default $DATABASE_URL)\n"
    "      --deploy-hook PROGRAM  run PROGRAM on deploy with IMAGE, TAG, TENANT set\n"
    "      --deploy-timeout SEC   kill the hook after SEC seconds (default 600)\n"
    "      --max-body SIZE        largest archive upload (default 1G)\n"
    "      --max-json SIZE        largest database import document (default 256M)\n"
    "      --max-row SIZE         largest row in it (default 64M)\n"
    "      --max-tree SIZE        largest tree an archive may unpack to (default 4G)\n"
    "      --max-ratio N          refuse gzip inflating over N:1 past 64M (default 200)\n"
    "      --max-verify N         archives verified at once, then 503 (default 4)\n"
    "      --work-dir DIR         spool and archive cache (default: private temp dir)\n"
    "      --cache-size SIZE      archive cache bound (default 1G)\n"
    "      --keep N               archive generations kept per tenant (default 2)\n"
    "      --db-connections N     database connections (default 16)\n"
    "      --db-wait SEC          wait for a free one, then 503 (default 5)\n"
    "      --db-timeout SEC       a request's database work, then 503 (default 120)\n"
    "      --max-connections N    concurrent HTTP connections (default 512)\n"
    "      --max-per-address N    connections from one address (default 32; 0: any)\n"
    "      --trusted-proxy ADDR   a balancer whose X-Forwarded-For names the client\n"
    "                             in the access log (repeatable)\n"
    "      --header-timeout SEC   close a connection whose request headers take\n"
    "                             longer (default 30; 0: never)\n"
    "      --min-rate SIZE        close an upload slower than SIZE bytes/s ...\n"
    "      --rate-time SEC        ... over SEC seconds (defaults 1K, 30; 0: never)\n"
    "  -q, --quiet                no access log\n"
    "`tenant add` and `token add` print the new token alone on stdout, once.\n";

enum {
	O_HOOK = 256, O_HOOK_TIMEOUT, O_MAX_BODY, O_MAX_JSON, O_MAX_TREE, O_WORK, O_CACHE,
	O_KEEP, O_DBCONN, O_MAXCONN, O_PERADDR, O_PROXY, O_HDRTIME, O_MINRATE, O_RATETIME,
	O_DBWAIT, O_DBTIME, O_RATIO, O_VERIFY, O_MAXROW,
};

static const struct option longopts[] = {
	{"listen", required_argument, NULL, 'l'},
	{"database", required_argument, NULL, 'd'},
	{"quiet", no_argument, NULL, 'q'},
	{"deploy-hook", required_argument, NULL, O_HOOK},
	{"deploy-timeout", required_argument, NULL, O_HOOK_TIMEOUT},
	{"max-body", required_argument, NULL, O_MAX_BODY},
	{"max-json", required_argument, NULL, O_MAX_JSON},
	{"max-tree", required_argument, NULL, O_MAX_TREE},
	{"work-dir", required_argument, NULL, O_WORK},
	{"cache-size", required_argument, NULL, O_CACHE},
	{"keep", required_argument, NULL, O_KEEP},
	{"db-connections", required_argument, NULL, O_DBCONN},
	{"max-connections", required_argument, NULL, O_MAXCONN},
	{"db-wait", required_argument, NULL, O_DBWAIT},
	{"max-ratio", required_argument, NULL, O_RATIO},
	{"max-row", required_argument, NULL, O_MAXROW},
	{"max-verify", required_argument, NULL, O_VERIFY},
	{"db-timeout", required_argument, NULL, O_DBTIME},
	{"max-per-address", required_argument, NULL, O_PERADDR},
	{"trusted-proxy", required_argument, NULL, O_PROXY},
	{"header-timeout", required_argument, NULL, O_HDRTIME},
	{"min-rate", required_argument, NULL, O_MINRATE},
	{"rate-time", required_argument, NULL, O_RATETIME},
	SP_STD_LONGOPTS,
	{NULL, 0, NULL, 0},
};

/* Serve until SIGINT or SIGTERM. */
static int
serve(const struct cloud_config *cfg)
{
	struct cloud_server *s;
	char err[1024];
	sigset_t set;
	int sig, status;

	/* the server's threads inherit this mask; only sigwait sees these */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (!(s = cloud_start(cfg, &status, err, sizeof err)))
		sp_die(status, "%s", err);
	sp_warn("listening on %s", cloud_url(s));
	do {
		sigwait(&set, &sig);
	} while (sig == SIGHUP);
	sp_warn("stopping (signal %d)", sig);
	cloud_stop(s);
	return 0;
}

/* True for an IPv4 or IPv6 address in text form. */
static int
valid_ip(const char *s)
{
	unsigned char b[16];

	return inet_pton(AF_INET, s, b) == 1 || inet_pton(AF_INET6, s, b) == 1;
}

int
main(int argc, char **argv)
{
	struct cloud_config cfg;
	char err[1024];
	int c, rc;

	sp_setprog(argv[0]);
	cloud_config_default(&cfg);
	while ((c = getopt_long(argc, argv, "l:d:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'l': cfg.listen = optarg; break;
		case 'd':
			/* a copy, then the argument blanked: a password in it
			 * does not stay in ps or /proc/PID/cmdline */
			cfg.conninfo = sp_strdup(optarg);
			memset(optarg, 'x', strlen(optarg));
			break;
		case 'q': cfg.quiet = 1; break;
		case O_HOOK: cfg.deploy_hook = optarg; break;
		case O_HOOK_TIMEOUT:
			cfg.deploy_timeout = (int)sp_parse_num("--deploy-timeout", optarg, 1, 86400);
			break;
		case O_MAX_BODY: cfg.max_body = sp_parse_size("--max-body", optarg); break;
		case O_MAX_JSON: cfg.max_json = sp_parse_size("--max-json", optarg); break;
		case O_MAX_TREE: cfg.max_tree = sp_parse_size("--max-tree", optarg); break;
		case O_WORK: cfg.work_dir = optarg; break;
		case O_CACHE: cfg.cache_size = sp_parse_size("--cache-size", optarg); break;
		case O_KEEP: cfg.keep = (int)sp_parse_num("--keep", optarg, 1, 1000000); break;
		case O_DBCONN: cfg.db_conns = (int)sp_parse_num("--db-connections", optarg, 1, 1000); break;
		case O_MAXCONN:
			cfg.max_conns = (int)sp_parse_num("--max-connections", optarg, 1, 100000);
			break;
		case O_MAXROW: cfg.max_row = sp_parse_size("--max-row", optarg); break;
		case O_RATIO: sp_gz_max_ratio = (long)sp_parse_num("--max-ratio", optarg, 0, 100000); break;
		case O_VERIFY: cfg.max_verify = (int)sp_parse_num("--max-verify", optarg, 1, 1000); break;
		case O_DBWAIT: cfg.db_wait = (int)sp_parse_num("--db-wait", optarg, 1, 3600); break;
		case O_DBTIME: cfg.db_timeout = (int)sp_parse_num("--db-timeout", optarg, 0, 86400); break;
		case O_PERADDR:
			cfg.per_addr = (int)sp_parse_num("--max-per-address", optarg, 0, 100000);
			break;
		case O_PROXY:
			if (cfg.nproxies == 16)
				sp_usage_die(usage, "--trusted-proxy: at most 16");
			if (!valid_ip(optarg))
				sp_usage_die(usage, "--trusted-proxy: \"%s\" is not an IP address", optarg);
			cfg.proxies[cfg.nproxies++] = optarg;
			break;
		case O_HDRTIME:
			cfg.header_timeout = (int)sp_parse_num("--header-timeout", optarg, 0, 86400);
			break;
		case O_MINRATE: cfg.min_rate = sp_parse_size("--min-rate", optarg); break;
		case O_RATETIME:
			cfg.rate_time = (int)sp_parse_num("--rate-time", optarg, 0, 86400);
			break;
		case 'h': sp_help(usage);
		case 'V': sp_version();
		default: sp_usage_die(usage, NULL);
		}
	}
	if (optind == argc)
		return serve(&cfg);
	if (strcmp(argv[optind], "tenant") && strcmp(argv[optind], "token"))
		sp_usage_die(usage, "unknown command: %s", argv[optind]);
	rc = cloud_admin(cfg.conninfo, argc - optind, argv + optind, stdout, err, sizeof err);
	if (rc == SP_EX_USAGE)
		sp_usage_die(usage, "%s", err);
	if (rc)
		sp_die(rc, "%s", err);
	sp_finish_stdout();
	return 0;
}
