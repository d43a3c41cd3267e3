/* httpconf.c - the HTTP client's configuration: shared options, the
 * environment, the token, the tenant's API root. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "client/http_int.h"
#include "core/cli.h"
#include "core/err.h"

#define TOKEN_MAX 4096
static double
parse_secs(const char *opt, const char *s)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= 0) || v > 86400) {
		fprintf(stderr, "%s: %s: invalid value \"%s\" (expected seconds)\n", sp_prog, opt, s);
		exit(SP_EX_USAGE);
	}
	return v;
}

int
sp_http_option(struct sp_http_opts *o, int c, const char *arg)
{
	switch (c) {
	case SP_HTTP_OPT_URL: o->url = arg; break;
	case SP_HTTP_OPT_TENANT: o->tenant = arg; break;
	case SP_HTTP_OPT_CACERT: o->cacert = arg; break;
	case SP_HTTP_OPT_INSECURE: o->insecure = 1; break;
	case SP_HTTP_OPT_CONNECT_TIMEOUT:
		o->connect_timeout = parse_secs("--connect-timeout", arg);
		if (o->connect_timeout < 0.001)
			sp_usage_die("", "--connect-timeout must be positive");
		break;
	case SP_HTTP_OPT_SPEED_TIME:
		o->speed_time = parse_secs("--speed-time", arg);
		if (o->speed_time < 1)
			o->speed_time = 1;
		break;
	case SP_HTTP_OPT_SPEED_LIMIT:
		o->speed_limit = (long)sp_parse_size("--speed-limit", arg);
		break;
	case SP_HTTP_OPT_ATTEMPTS:
		o->attempts = (int)sp_parse_num("--attempts", arg, 1, 100);
		break;
	case SP_HTTP_OPT_RETRY_DELAY:
		o->retry_delay = parse_secs("--retry-delay", arg);
		o->retry_delay_set = 1;
		break;
	case SP_HTTP_OPT_MAX_TIME:
		o->max_time = parse_secs("--max-time", arg);
		o->max_time_set = 1;
		break;
	case SP_HTTP_OPT_MAX_SIZE:
		o->max_size = sp_parse_size("--max-size", arg);
		if (o->max_size < 1)
			sp_usage_die("", "--max-size must be positive");
		break;
	case 'v': o->verbose = 1; break;
	case 'q': o->quiet = 1; break;
	default: return 0;
	}
	return 1;
}

void
sp_http_bad_option(const char *usage, char **argv)
{
	const char *a = optind > 0 ? argv[optind - 1] : "";

	if (optopt && optopt < 0x100 && !(a[0] == '-' && a[1] == '-'))
		sp_usage_die(usage, "invalid option or missing argument: -%c", optopt);
	sp_usage_die(usage, "invalid option or missing argument: %.*s", (int)strcspn(a, "="), a);
}

/* The token from SP_TOKEN or SP_TOKEN_FILE into *tok: 0, 1 when neither
 * is set, 2 when it is unusable (the reason in why never contains it). */
static int
load_token(char **tok, char *why, size_t whylen)
{
	const char *env = getenv("SP_TOKEN"), *file = getenv("SP_TOKEN_FILE");
	char *t;
	size_t n;

	*tok = NULL;
	if (env && *env) {
		t = sp_strdup(env);
		n = strlen(t);
	} else if (file && *file) {
		int fd = open(file, O_RDONLY | O_CLOEXEC);
		ssize_t r;

		if (fd < 0) {
			snprintf(why, whylen, "cannot read SP_TOKEN_FILE %s: %s", file, strerror(errno));
			return 2;
		}
		struct stat st;
		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0044))
			sp_warn("SP_TOKEN_FILE %s is readable by others (mode %04o); chmod 600 it", file,
			    (unsigned)(st.st_mode & 07777));
		t = sp_malloc(TOKEN_MAX + 1);
		n = 0;
		while (n < TOKEN_MAX && (r = read(fd, t + n, TOKEN_MAX - n)) != 0) {
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0) {
				snprintf(why, whylen, "cannot read SP_TOKEN_FILE %s: %s", file, strerror(errno));
				close(fd);
				free(t);
				return 2;
			}
			n += (size_t)r;
		}
		close(fd);
		t[n] = '\0';
		while (n > 0 && isspace((unsigned char)t[n - 1]))
			t[--n] = '\0';
		if (n == 0) {
			free(t);
			snprintf(why, whylen, "SP_TOKEN_FILE %s is empty", file);
			return 2;
		}
	} else {
		return 1;
	}
	for (size_t i = 0; i < n; i++) {
		if (t[i] < 0x21 || t[i] > 0x7e) {
			explicit_bzero(t, n);
			free(t);
			snprintf(why, whylen, "the token (%s) contains characters not allowed in a header",
			    env && *env ? "SP_TOKEN" : "SP_TOKEN_FILE");
			return 2;
		}
	}
	*tok = t;
	return 0;
}

static int
tenant_ok(const char *t)
{
	size_t n = strlen(t);

	if (n < 1 || n > 64)
		return 0;
	for (; *t; t++)
		if (!(islower((unsigned char)*t) || isdigit((unsigned char)*t) || *t == '_' || *t == '-'))
			return 0;
	return 1;
}

/* Check the base URL and set h->base and h->shown; NULL or a reason. */
static const char *
set_base(struct sp_http *h, const char *url, const char *tenant, char *why, size_t whylen)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *query = NULL, *shown = NULL;
	size_t n = strlen(url);

	if (!u)
		sp_die(SP_EX_SOFTWARE, "out of memory");
	while (n > 0 && url[n - 1] == '/')
		n--;
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		snprintf(why, whylen, "the API URL is not a valid URL");
	} else if (strcmp(scheme, "http") && strcmp(scheme, "https")) {
		snprintf(why, whylen, "the API URL must start with http:// or https://");
	} else if (curl_url_get(u, CURLUPART_QUERY, &query, 0) == CURLUE_OK) {
		snprintf(why, whylen, "the API URL must not have a query");
	} else {
		h->base = sp_asprintf("%.*s/api/v1/cloud/tenants/%s", (int)n, url, tenant);
		curl_url_set(u, CURLUPART_USER, NULL, 0);
		curl_url_set(u, CURLUPART_PASSWORD, NULL, 0);
		curl_url_get(u, CURLUPART_URL, &shown, 0);
		n = strlen(shown);
		while (n > 0 && shown[n - 1] == '/')
			n--;
		h->shown = sp_asprintf("%.*s/api/v1/cloud/tenants/%s", (int)n, shown, tenant);
		why = NULL;
	}
	curl_free(scheme);
	curl_free(host);
	curl_free(query);
	curl_free(shown);
	curl_url_cleanup(u);
	return why;
}

struct sp_http *
sp_http_new(const struct sp_http_opts *o)
{
	struct sp_http *h = sp_calloc(1, sizeof *h);
	const char *url = o->url ? o->url : getenv("SP_API_URL");
	const char *tenant = o->tenant ? o->tenant : getenv("SP_TENANT");
	char missing[512] = "", why[1024], twhy[1024];
	int tok;

	h->o = *o;
	if (!h->o.connect_timeout)
		h->o.connect_timeout = 10;
	if (!h->o.speed_time)
		h->o.speed_time = 30;
	if (!h->o.speed_limit)
		h->o.speed_limit = 1024;
	if (!o->max_time_set)
		h->o.max_time = 86400;
	if (!h->o.max_size)
		h->o.max_size = 16LL << 30;
	if (!h->o.attempts)
		h->o.attempts = 5;
	if (!o->retry_delay_set)
		h->o.retry_delay = 1;
	if (!url || !*url)
		strcat(missing, ", SP_API_URL (or --url)");
	if (!tenant || !*tenant)
		strcat(missing, ", SP_TENANT (or --tenant)");
	tok = load_token(&h->token, twhy, sizeof twhy);
	if (tok == 1)
		strcat(missing, ", SP_TOKEN or SP_TOKEN_FILE");
	if (*missing)
		sp_die(SP_EX_CONFIG, "missing configuration: %s", missing + 2);
	if (tok)
		sp_die(SP_EX_CONFIG, "%s", twhy);
	if (!tenant_ok(tenant))
		sp_die(SP_EX_CONFIG, "invalid tenant id \"%s\" (expected [a-z0-9_-], 1 to 64 characters)", tenant);
	if (set_base(h, url, tenant, why, sizeof why))
		sp_die(SP_EX_CONFIG, "%s: %s", o->url ? "--url" : "SP_API_URL", why);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || !(h->curl = curl_easy_init()))
		sp_die(SP_EX_SOFTWARE, "cannot initialise libcurl");
	h->progress = !h->o.quiet && isatty(STDERR_FILENO);
	if (getrandom(&h->rng, sizeof h->rng, 0) != (ssize_t)sizeof h->rng)
		h->rng = (unsigned long long)time(NULL) ^ ((unsigned long long)getpid() << 32);
	h->rng |= 1;
	return h;
}

void
sp_http_free(struct sp_http *h)
{
	if (!h)
		return;
	if (h->token) {
		explicit_bzero(h->token, strlen(h->token));
		free(h->token);
	}
	if (h->curl)
		curl_easy_cleanup(h->curl);
	curl_global_cleanup();
	free(h->base);
	free(h->shown);
	free(h);
}

const char *
sp_http_base(struct sp_http *h)
{
	return h->shown;
}
