/* sp-deploy - build, docker build, docker push, and ask the cloud to deploy. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/http.h"
#include "client/transfer.h"
#include "core/cli.h"
#include "core/err.h"
#include "core/proc.h"
#include "core/words.h"
#include "deploy/deploy.h"
#include "deploy/request.h"
#include "rec/ndjson.h"
#include "rec/result.h"

static const char usage[] =
    "usage: sp-deploy [-n] [--allow-dirty] [--skip-build] [-b COMMAND]... [--image NAME]\n"
    "                 [--registry HOST[/PATH]] [--registry-user USER] [--tag TAG]\n"
    "                 [-f DOCKERFILE] [--context DIR] [-C DIR] [HTTP OPTION]...\n"
    "Build the project, build its image, push it to the registry and POST\n"
    "…/deploy {\"image\",\"tag\"} to the cloud. One step record per step and a\n"
    "result record on stdout; the steps' own output goes to stderr. Each step\n"
    "runs from an argument vector, never a shell; the first that fails stops it.\n"
    "  -n, --dry-run            print the plan as step records, run nothing\n"
    "  -C DIR                   work in the project directory DIR\n"
    "  -b, --build COMMAND      build command, split into words without a shell\n"
    "                           (repeatable; default: cargo build --release when\n"
    "                           Cargo.toml exists, npm run build when package.json\n"
    "                           has a build script; $SP_BUILD, one per line)\n"
    "      --skip-build         run no build command\n"
    "      --image NAME         image repository name ($SP_IMAGE; required)\n"
    "      --registry REG       registry to push to ($SP_REGISTRY)\n"
    "      --registry-user USER user for docker login ($SP_REGISTRY_USER); a login\n"
    "                           runs when $SP_REGISTRY_TOKEN or the file\n"
    "                           $SP_REGISTRY_TOKEN_FILE holds a token\n"
    "      --tag TAG            image tag ($SP_TAG; default SHORTCOMMIT-YYYYMMDDHHMMSS)\n"
    "  -f, --dockerfile FILE    Dockerfile ($SP_DOCKERFILE; default docker's)\n"
    "      --context DIR        docker build context (default .)\n"
    "      --allow-dirty        deploy a work tree with uncommitted changes\n"
    SP_HTTP_USAGE;

enum { O_SKIP = 0x1200, O_IMAGE, O_REGISTRY, O_USER, O_TAG, O_CONTEXT, O_DIRTY };

/* The option's value, else the environment's, else NULL; dies 2 (option)
 * or 78 (environment) when bad() finds fault with it. */
static const char *
setting(const char *opt, const char *env, const char *what,
    const char *(*bad)(const char *))
{
	const char *v = opt ? opt : getenv(env), *why;

	if (v && !*v)
		v = NULL;
	if (v && bad && (why = bad(v))) {
		if (opt)
			sp_usage_die(usage, "bad %s \"%s\": %s", what, v, why);
		sp_die(SP_EX_CONFIG, "%s: bad %s \"%s\": %s", env, what, v, why);
	}
	return v;
}

/* The registry token from SP_REGISTRY_TOKEN or SP_REGISTRY_TOKEN_FILE
 * (trailing newline dropped), or NULL when neither is set. */
static char *
registry_token(void)
{
	const char *t = getenv("SP_REGISTRY_TOKEN"), *f = getenv("SP_REGISTRY_TOKEN_FILE");
	char buf[65536];
	ssize_t n;
	int fd;

	if (t && *t)
		return sp_strdup(t);
	if (!f || !*f)
		return NULL;
	if ((fd = open(f, O_RDONLY | O_CLOEXEC)) < 0)
		sp_die_errno(SP_EX_CONFIG, "SP_REGISTRY_TOKEN_FILE: %s", f);
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n < 0)
		sp_die_errno(SP_EX_CONFIG, "SP_REGISTRY_TOKEN_FILE: %s", f);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	buf[n] = '\0';
	if (n == 0 || strchr(buf, '\n'))
		sp_die(SP_EX_CONFIG, "SP_REGISTRY_TOKEN_FILE: %s must hold the token on one line", f);
	t = sp_strdup(buf);
	explicit_bzero(buf, sizeof buf);
	return (char *)t;
}

/* Append the words of command to the NULL-terminated list *v of *n. */
static void
add_build(char ****v, int *n, const char *command, const char *from)
{
	char err[512], **w = sp_words(command, err, sizeof err);

	if (!w) {
		if (!strcmp(from, "--build"))
			sp_usage_die(usage, "--build: %s", err);
		sp_die(SP_EX_CONFIG, "%s: %s", from, err);
	}
	*v = sp_realloc(*v, (size_t)(*n + 2) * sizeof **v);
	(*v)[(*n)++] = w;
	(*v)[*n] = NULL;
}

/* POST …/deploy; the step's status is 0 or the HTTP failure's. */
static int
deploy_request(struct sp_http *h, const struct sp_deploy_cfg *c, json_t *details,
    char *err, size_t errlen)
{
	char *image = c->registry ? sp_asprintf("%s/%s", c->registry, c->image) : sp_strdup(c->image);
	json_t *answer = NULL;
	int rc = sp_deploy_request(h, image, c->tag, &answer, err, errlen);

	if (rc == 0)
		json_object_set_new(details, "deployment", answer);
	free(image);
	return rc;
}

/* The options as given, before the environment fills them in. */
struct opts {
	const char *image, *registry, *user, *tag, *dockerfile;
	int dirty;
};

/* Everything checked and settled before the first step runs: cfg from
 * the options and the environment; *tag, *context, *token are what cfg
 * points to that the caller frees. */
static void
configure(struct sp_deploy_cfg *cfg, const struct opts *o, char ****builds, int *nbuild,
    char **tag, char **context, char **token)
{
	const char *env;

	if (!(cfg->image = setting(o->image, "SP_IMAGE", "image name", sp_docker_bad_image)))
		sp_die(SP_EX_CONFIG, "no image name: give --image or set SP_IMAGE");
	cfg->registry = setting(o->registry, "SP_REGISTRY", "registry", sp_docker_bad_registry);
	cfg->user = setting(o->user, "SP_REGISTRY_USER", "registry user", NULL);
	cfg->dockerfile = setting(o->dockerfile, "SP_DOCKERFILE", "Dockerfile", NULL);
	if (cfg->context[0] == '-')	/* never taken for an option by docker */
		cfg->context = *context = sp_asprintf("./%s", cfg->context);
	if (!*builds && (env = getenv("SP_BUILD")) && *env) {
		char *lines = sp_strdup(env), *save = NULL;
		for (char *l = strtok_r(lines, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
			if (l[strspn(l, " \t")])
				add_build(builds, nbuild, l, "SP_BUILD");
		free(lines);
	}
	cfg->builds = *builds;
	if ((*token = registry_token()) && !cfg->user)
		sp_die(SP_EX_CONFIG, "a registry token is set but no user: docker login needs "
		    "--registry-user or SP_REGISTRY_USER");
	cfg->token = *token;
	if (!o->dirty)
		sp_deploy_require_clean();
	if (!(cfg->tag = setting(o->tag, "SP_TAG", "tag", sp_docker_bad_tag)))
		cfg->tag = *tag = sp_deploy_git_tag();
}

/* Run step s and emit its record; 0, or the exit status it fails the
 * run with (*why then says why, and res has the error). */
static int
run_step(struct sp_http *h, const struct sp_deploy_cfg *cfg, const struct sp_step *s, int quiet,
    json_t *res, char **why)
{
	char err[2048], *line = sp_words_join(s->argv);
	long long ms = 0, t0;
	int st, failed = 0;

	if (!quiet)
		sp_warn("%s: %s", s->name, line);
	err[0] = '\0';
	t0 = sp_now_ms();
	if (s->internal) {
		st = deploy_request(h, cfg, sp_result_details(res), err, sizeof err);
		ms = sp_now_ms() - t0;
	} else {
		st = sp_step_run(s, &ms, err, sizeof err);
	}
	sp_emit(sp_step_record(s, st < 0 ? 127 : st, ms));
	fflush(stdout);
	if (st != 0) {
		/* a failed step is 70, the deployment the cloud ran and
		 * failed (its hook) too; the request's own failures keep
		 * theirs (77, 65, 75) */
		failed = s->internal && st != SP_EX_UNAVAILABLE ? st : SP_EX_SOFTWARE;
		if (!err[0])
			snprintf(err, sizeof err, "%s exited with status %d", line, st);
		*why = sp_asprintf("step %s failed: %s", s->name, err);
		sp_result_error(res, "%s", *why);
	} else if (s->internal) {
		sp_result_add(res, "items_synced", 1);
	}
	free(line);
	return failed;
}

int
main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{"dry-run", no_argument, NULL, 'n'},
		{"build", required_argument, NULL, 'b'},
		{"skip-build", no_argument, NULL, O_SKIP},
		{"image", required_argument, NULL, O_IMAGE},
		{"registry", required_argument, NULL, O_REGISTRY},
		{"registry-user", required_argument, NULL, O_USER},
		{"tag", required_argument, NULL, O_TAG},
		{"dockerfile", required_argument, NULL, 'f'},
		{"context", required_argument, NULL, O_CONTEXT},
		{"allow-dirty", no_argument, NULL, O_DIRTY},
		SP_HTTP_LONGOPTS,
		SP_STD_LONGOPTS,
		{0},
	};
	struct opts o = {0};
	const char *dir = NULL;
	struct sp_http_opts ho = {0};
	struct sp_deploy_cfg cfg = {.context = "."};
	struct sp_plan plan = {0};
	int c, dry = 0, nbuild = 0, failed = 0;
	char ***builds = NULL, *tag = NULL, *token = NULL, *url, *context = NULL, *why = NULL;
	struct sp_http *h;
	json_t *res;

	sp_setprog(argv[0]);
	while ((c = getopt_long(argc, argv, "hnb:C:f:" SP_HTTP_SHORTOPTS, lopts, NULL)) != -1) {
		switch (c) {
		case 'n': dry = 1; break;
		case 'b': add_build(&builds, &nbuild, optarg, "--build"); break;
		case 'C': dir = optarg; break;
		case 'f': o.dockerfile = optarg; break;
		case O_SKIP: cfg.skip_build = 1; break;
		case O_IMAGE: o.image = optarg; break;
		case O_REGISTRY: o.registry = optarg; break;
		case O_USER: o.user = optarg; break;
		case O_TAG: o.tag = optarg; break;
		case O_CONTEXT: cfg.context = optarg; break;
		case O_DIRTY: o.dirty = 1; break;
		case 'h': sp_help(usage);
		case 'V': sp_version();
		default:
			if (!sp_http_option(&ho, c, optarg))
				sp_usage_die(usage, NULL);
		}
	}
	if (optind < argc)
		sp_usage_die(usage, "unexpected argument \"%s\"", argv[optind]);
	if (dir && chdir(dir) != 0)
		sp_die_errno(SP_EX_NOINPUT, "%s", dir);
	configure(&cfg, &o, &builds, &nbuild, &tag, &context, &token);
	h = sp_http_new(&ho);
	/* The build runs the project's code: it gets no secret of ours. */
	unsetenv("SP_TOKEN");
	unsetenv("SP_TOKEN_FILE");
	unsetenv("SP_REGISTRY_TOKEN");
	unsetenv("SP_REGISTRY_TOKEN_FILE");
	url = sp_asprintf("%s/deploy", sp_http_base(h));
	sp_deploy_plan(&plan, &cfg, url);

	res = sp_result_new("deploy");
	json_object_update_new(sp_result_details(res), json_pack("{s:s, s:s, s:s?, s:b}",
	    "image", cfg.image, "tag", cfg.tag, "registry", cfg.registry, "dry_run", dry));
	for (size_t i = 0; i < plan.n && !failed; i++) {
		if (dry)
			sp_emit(sp_step_record(&plan.v[i], -1, 0));
		else
			failed = run_step(h, &cfg, &plan.v[i], ho.quiet, res, &why);
	}
	sp_emit(res);
	sp_http_free(h);
	sp_plan_free(&plan);
	for (char ***b = builds; b && *b; b++)
		sp_words_free(*b);
	free(builds);
	free(url);
	free(tag);
	free(context);
	if (token) {
		explicit_bzero(token, strlen(token));
		free(token);
	}
	if (failed) {
		fflush(stdout);
		sp_die(failed, "%s", why);
	}
	sp_finish_stdout();
	return 0;
}
