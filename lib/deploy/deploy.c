/* deploy.c - what sp-deploy builds, pushes and deploys. */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>

#include "core/err.h"
#include "core/proc.h"
#include "deploy/deploy.h"

/* True when s matches the extended regular expression re (anchored). */
static int
matches(const char *re, const char *s)
{
	regex_t r;
	int ok;

	if (regcomp(&r, re, REG_EXTENDED | REG_NOSUB) != 0)
		sp_die(SP_EX_SOFTWARE, "bad regular expression %s", re);
	ok = regexec(&r, s, 0, NULL, 0) == 0;
	regfree(&r);
	return ok;
}

#define COMPONENT "[a-z0-9]+(([.]|_|__|-+)[a-z0-9]+)*"
#define HOSTPART "([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"

const char *
sp_docker_bad_image(const char *image)
{
	if (!*image)
		return "it is empty";
	if (strlen(image) > 255)
		return "it is longer than 255 characters";
	if (!matches("^" COMPONENT "(/" COMPONENT ")*$", image))
		return "it must be lowercase [a-z0-9] words joined by '.', '_' or '-', "
		    "separated by '/'";
	return NULL;
}

const char *
sp_docker_bad_tag(const char *tag)
{
	if (!matches("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", tag))
		return "it must be 1 to 128 of [A-Za-z0-9_.-], not starting with '.' or '-'";
	return NULL;
}

const char *
sp_docker_bad_registry(const char *registry)
{
	if (strstr(registry, "://"))
		return "it must be HOST[:PORT][/PATH] without a scheme";
	if (!matches("^" HOSTPART "([.]" HOSTPART ")*(:[0-9]+)?(/" COMPONENT ")*$", registry))
		return "it must be HOST[:PORT][/PATH], such as ghcr.io/acme or localhost:5000";
	return NULL;
}

void
sp_deploy_default_builds(struct sp_plan *p)
{
	json_error_t e;
	json_t *pkg;

	if (access("Cargo.toml", F_OK) == 0)
		sp_plan_add(p, "build", NULL, "cargo", "build", "--release", (char *)NULL);
	if (access("package.json", F_OK) != 0)
		return;
	if (!(pkg = json_load_file("package.json", 0, &e)))
		sp_die(SP_EX_DATAERR, "package.json:%d: %s", e.line, e.text);
	if (json_is_string(json_object_get(json_object_get(pkg, "scripts"), "build")))
		sp_plan_add(p, "build", NULL, "npm", "run", "build", (char *)NULL);
	json_decref(pkg);
}

/* Run git with args, stdout collected, stderr dropped: its exit status. */
static int
git(char **out, const char *a1, const char *a2, const char *a3)
{
	char *argv[] = {"git", (char *)a1, (char *)a2, (char *)a3, NULL};
	char err[512];
	size_t n;
	int rc = sp_proc_capture(argv, SP_PROC_ERR_NULL, out, &n, err, sizeof err);

	if (rc < 0)
		sp_die(SP_EX_CONFIG, "%s", err);
	return rc;
}

char *
sp_deploy_git_tag(void)
{
	char *out, stamp[32], *tag;
	time_t now = time(NULL);
	struct tm tm;

	if (git(&out, "rev-parse", "--short", "HEAD") != 0 || !*out) {
		free(out);
		sp_die(SP_EX_CONFIG, "no git commit to name the image after: give --tag "
		    "(or SP_TAG)");
	}
	out[strcspn(out, "\n")] = '\0';
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof stamp, "%Y%m%d%H%M%S", &tm);
	tag = sp_asprintf("%s-%s", out, stamp);
	free(out);
	return tag;
}

void
sp_deploy_require_clean(void)
{
	char *out;
	int n = 0;

	if (git(&out, "status", "--porcelain", "--untracked-files=normal") != 0) {
		free(out);
		sp_die(SP_EX_DATAERR, "not a git work tree, so what would be deployed is not "
		    "a commit: use --allow-dirty to deploy it anyway");
	}
	for (char *s = out; *s; s++)
		n += *s == '\n';
	free(out);
	if (n > 0)
		sp_die(SP_EX_DATAERR, "the work tree has %d uncommitted change%s (see git "
		    "status): commit them, or use --allow-dirty", n, n == 1 ? "" : "s");
}

void
sp_deploy_plan(struct sp_plan *p, const struct sp_deploy_cfg *c, const char *deploy_url)
{
	char *local = sp_asprintf("%s:%s", c->image, c->tag), *remote = NULL, *host = NULL;
	const char *pushed = local;

	if (!c->skip_build) {
		if (c->builds)
			for (char ***b = c->builds; *b; b++)
				sp_plan_addv(p, "build", *b);
		else
			sp_deploy_default_builds(p);
	}
	if (c->dockerfile)
		sp_plan_add(p, "docker-build", NULL, "docker", "build", "-t", local, "-f",
		    c->dockerfile, c->context, (char *)NULL);
	else
		sp_plan_add(p, "docker-build", NULL, "docker", "build", "-t", local, c->context,
		    (char *)NULL);
	if (c->registry) {
		/* docker push pushes a local name: the image must carry the
		 * registry's before it can go there. */
		remote = sp_asprintf("%s/%s:%s", c->registry, c->image, c->tag);
		sp_plan_add(p, "docker-tag", NULL, "docker", "tag", local, remote, (char *)NULL);
		pushed = remote;
		host = sp_strdup(c->registry);
		host[strcspn(host, "/")] = '\0';
	}
	if (c->token) {
		if (host)
			sp_plan_add(p, "docker-login", c->token, "docker", "login", "--username",
			    c->user, "--password-stdin", host, (char *)NULL);
		else
			sp_plan_add(p, "docker-login", c->token, "docker", "login", "--username",
			    c->user, "--password-stdin", (char *)NULL);
	}
	sp_plan_add(p, "docker-push", NULL, "docker", "push", pushed, (char *)NULL);
	sp_plan_add(p, "deploy", NULL, "POST", deploy_url, (char *)NULL)->internal = 1;
	free(local);
	free(remote);
	free(host);
}
