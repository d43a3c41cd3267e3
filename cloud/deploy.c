/* deploy.c - the deploy endpoints of sp-cloudd: record a deployment,
 * run the configured hook (exec, no shell) with IMAGE, TAG, TENANT and
 * DEPLOYMENT_ID in its environment, and list deployments. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cloud/call.h"
#include "cloud/endpoints.h"
#include "cloud/pool.h"
#include "cloud/store.h"
#include "core/err.h"
#include "core/uuid.h"

extern char **environ;

#define FIELD_MAX 512		/* longest image or tag */
#define OUT_MAX (64 * 1024)	/* hook stdout kept for app_url */

/* A string field of at most FIELD_MAX printable bytes, or NULL. */
static const char *
field(json_t *o, const char *name, char *why, size_t whylen)
{
	const char *s = json_string_value(json_object_get(o, name));
	size_t i;

	if (!s || !*s) {
		snprintf(why, whylen, "\"%s\" must be a non-empty string", name);
		return NULL;
	}
	for (i = 0; s[i]; i++) {
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f || i >= FIELD_MAX) {
			snprintf(why, whylen, "\"%s\" must be at most %d printable characters",
			    name, FIELD_MAX);
			return NULL;
		}
	}
	return s;
}

/* Split "image" as upstream sends it, a full reference REGISTRY/APP:TAG,
 * into the name (*image, kept in body as "image_name") and the tag (*tag):
 * the tag is what follows the last ':' after the last '/'. A "tag" given
 * as well must agree; without one the reference must carry it. */
static int
split_ref(json_t *body, const char **image, const char **tag, char *why, size_t whylen)
{
	const char *slash = strrchr(*image, '/'), *base = slash ? slash + 1 : *image;
	const char *colon = strrchr(base, ':');
	json_t *tv = json_object_get(body, "tag");

	if (strchr(base, '@')) {
		snprintf(why, whylen, "\"image\": digest references (@sha256:…) are not supported; give a tag");
		return -1;
	}
	if (!colon) {
		if (!tv) {
			snprintf(why, whylen, "\"tag\" must be a non-empty string, or \"image\" a full reference REGISTRY/APP:TAG");
			return -1;
		}
		return 0;
	}
	if (!colon[1] || colon == base) {
		snprintf(why, whylen, "\"image\": \"%s\" is not a reference REGISTRY/APP:TAG", *image);
		return -1;
	}
	if (tv && strcmp(colon + 1, *tag)) {
		snprintf(why, whylen, "\"image\" carries the tag \"%s\", \"tag\" says \"%s\"", colon + 1, *tag);
		return -1;
	}
	json_object_set_new(body, "image_name", json_stringn(*image, (size_t)(colon - *image)));
	*image = json_string_value(json_object_get(body, "image_name"));
	if (!tv)
		*tag = colon + 1;
	return 0;
}

/* The environment of the hook: ours without the names we set and
 * without the state database's credentials (DATABASE_URL, PG*: the hook
 * runs on a tenant's IMAGE and TAG), then ours. */
static char **
hook_env(const char *image, const char *tag, const char *tenant, const char *id)
{
	static const char *const mine[] = {"IMAGE=", "TAG=", "TENANT=", "DEPLOYMENT_ID=",
		"DATABASE_URL=", "PG", NULL};
	size_t n = 0, i, j;
	char **env;

	while (environ[n])
		n++;
	env = sp_calloc(n + 5, sizeof *env);
	for (i = 0, j = 0; i < n; i++) {
		int skip = 0, m;
		for (m = 0; mine[m]; m++)
			if (!strncmp(environ[i], mine[m], strlen(mine[m])))
				skip = 1;
		if (!skip)
			env[j++] = sp_strdup(environ[i]);
	}
	env[j++] = sp_asprintf("IMAGE=%s", image);
	env[j++] = sp_asprintf("TAG=%s", tag);
	env[j++] = sp_asprintf("TENANT=%s", tenant);
	env[j++] = sp_asprintf("DEPLOYMENT_ID=%s", id);
	env[j] = NULL;
	return env;
}

static void
free_env(char **env)
{
	char **p;

	for (p = env; *p; p++)
		free(*p);
	free(env);
}

static long
ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* The last line of out that is an http(s) URL, or NULL (malloc'd). */
static char *
find_url(char *out)
{
	char *line, *save = NULL, *url = NULL;

	for (line = strtok_r(out, "\r\n", &save); line; line = strtok_r(NULL, "\r\n", &save)) {
		while (*line == ' ' || *line == '\t')
			line++;
		if ((!strncmp(line, "http://", 7) || !strncmp(line, "https://", 8)) &&
		    !strpbrk(line, " \t")) {
			free(url);
			url = sp_strdup(line);
		}
	}
	return url;
}

/* Run the hook; its exit status (or 128+signal, or -1 when it could not be
 * started) comes back, its stdout's last URL line in *app_url. */
static int
run_hook(struct cloud_server *s, char **env, char **app_url, char *err, size_t errlen)
{
	char *argv[2] = {(char *)s->cfg.deploy_hook, NULL};
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	struct timespec t0;
	char *out = sp_malloc(OUT_MAX + 1);
	size_t outlen = 0;
	int p[2], status = 0, rc, exited = 0, killed = 0, eof = 0;
	pid_t pid;

	*app_url = NULL;
	if (pipe2(p, O_CLOEXEC) != 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		free(out);
		return -1;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	/* nothing else of the server reaches the hook: not a spooled body, a
	 * cached archive or a socket of another tenant's request */
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	posix_spawnattr_init(&at);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
	    POSIX_SPAWN_SETSIGDEF);
	posix_spawnattr_setpgroup(&at, 0);
	{
		sigset_t none, all;
		sigemptyset(&none);
		sigfillset(&all);
		posix_spawnattr_setsigmask(&at, &none);
		posix_spawnattr_setsigdefault(&at, &all);
	}
	rc = posix_spawnp(&pid, argv[0], &fa, &at, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close(p[1]);
	if (rc != 0) {
		snprintf(err, errlen, "cannot run the deploy hook %s: %s", argv[0], strerror(rc));
		close(p[0]);
		free(out);
		return -1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	for (;;) {
		struct pollfd pf = {.fd = p[0], .events = POLLIN};
		char buf[4096];
		ssize_t n;

		if (!exited && waitpid(pid, &status, WNOHANG) == pid)
			exited = 1;
		if (!eof) {
			poll(&pf, 1, exited ? 0 : 100);
			while ((n = read(p[0], buf, sizeof buf)) > 0) {
				size_t keep = (size_t)n;
				if (outlen + keep > OUT_MAX)
					keep = OUT_MAX - outlen;
				memcpy(out + outlen, buf, keep);
				outlen += keep;
			}
			if (n == 0)
				eof = 1;
		} else if (!exited) {
			struct timespec nap = {0, 50 * 1000 * 1000};
			nanosleep(&nap, NULL);
		}
		if (exited)
			break;	/* grandchildren keeping the pipe open do not hold us */
		if (!killed && ms_since(&t0) > 1000L * s->cfg.deploy_timeout) {
			kill(-pid, SIGKILL);
			killed = 1;
		}
	}
	close(p[0]);
	out[outlen] = '\0';
	*app_url = find_url(out);
	free(out);
	if (killed) {
		snprintf(err, errlen, "the deploy hook ran over %d s and was killed", s->cfg.deploy_timeout);
		return 128 + SIGKILL;
	}
	if (WIFSIGNALED(status)) {
		snprintf(err, errlen, "the deploy hook died of signal %d", WTERMSIG(status));
		return 128 + WTERMSIG(status);
	}
	if (WEXITSTATUS(status))
		snprintf(err, errlen, "the deploy hook failed with exit status %d", WEXITSTATUS(status));
	return WEXITSTATUS(status);
}

/* Answer a repeated request with the deployment the first one made: 409
 * when the repeat asks for another image or tag, 500 when it failed, 202
 * while it runs, else 200. Takes seen. */
static void
reply_seen(struct cloud_call *k, json_t *seen, const char *image, const char *tag)
{
	const char *status = json_string_value(json_object_get(seen, "status"));

	if (strcmp(image, json_string_value(json_object_get(seen, "image"))) ||
	    strcmp(tag, json_string_value(json_object_get(seen, "tag")))) {
		json_decref(seen);
		cloud_reply_error(k, 409, "\"request_id\" names another deployment");
		return;
	}
	json_object_del(seen, "image");
	json_object_del(seen, "tag");
	json_object_set_new(seen, "repeated", json_true());
	cloud_reply_json(k, !strcmp(status, "failed") ? 500 : !strcmp(status, "running") ? 202 : 200, seen);
}

void
cloud_deploy_post(struct cloud_call *k)
{
	struct cloud_server *s = k->srv;
	const char *image, *tag = NULL, *request_id;
	char id[37], err[1024], why[256];
	char *app_url = NULL, **env;
	json_error_t je;
	json_t *body, *reply, *seen, *rid;
	PGconn *c;
	int rc, code;

	body = json_loadfd(k->body_fd, JSON_REJECT_DUPLICATES, &je);
	if (!body || !json_is_object(body)) {
		cloud_reply_error(k, 400, body ? "the body must be a JSON object {\"image\",\"tag\"}" :
		    "malformed JSON at line %d column %d: %s", je.line, je.column, je.text);
		json_decref(body);
		return;
	}
	if (!(image = field(body, "image", why, sizeof why)) ||
	    (json_object_get(body, "tag") && !(tag = field(body, "tag", why, sizeof why))) ||
	    split_ref(body, &image, &tag, why, sizeof why) != 0) {
		cloud_reply_error(k, 400, "%s", why);
		json_decref(body);
		return;
	}
	/* optional: the client's id of this request, the same on every retry */
	rid = json_object_get(body, "request_id");
	request_id = json_string_value(rid);
	if (rid && !json_is_null(rid) && (!request_id || !sp_is_uuid(request_id))) {
		cloud_reply_error(k, 400, "\"request_id\" must be a UUID");
		json_decref(body);
		return;
	}
	if (!(c = cloud_conn(k))) {
		json_decref(body);
		return;
	}
	rc = cs_deploy_add(c, k->tenant, image, tag, s->cfg.deploy_hook ? "running" : "recorded",
	    request_id, id, &seen, err, sizeof err);
	if (rc == CS_EXISTS) {
		/* a retry: answer with what the first request started, never twice */
		cloud_conn_done(k, c);
		reply_seen(k, seen, image, tag);
		json_decref(body);
		return;
	}
	if (rc != CS_OK) {
		cloud_reply_store(k, c, rc, err);
		cloud_conn_done(k, c);
		json_decref(body);
		return;
	}
	if (!s->cfg.deploy_hook) {
		cloud_conn_done(k, c);
		cloud_reply_json(k, 200, json_pack("{ssss}", "status", "recorded", "deployment_id", id));
		json_decref(body);
		return;
	}
	/* no connection is held while the hook runs */
	cloud_conn_done(k, c);
	env = hook_env(image, tag, k->tenant, id);
	err[0] = '\0';
	code = run_hook(s, env, &app_url, err, sizeof err);
	free_env(env);
	if (!(c = cloud_conn(k))) {
		free(app_url);
		json_decref(body);
		return;
	}
	rc = cs_deploy_finish(c, id, code == 0 ? "succeeded" : "failed", code, app_url, why,
	    sizeof why);
	if (rc != CS_OK && !s->cfg.quiet)
		sp_warn("deployment %s: cannot record its end: %s", id, why);
	reply = json_pack("{ssss}", "status", code == 0 ? "succeeded" : "failed", "deployment_id", id);
	if (code >= 0)
		json_object_set_new(reply, "exit_code", json_integer(code));
	if (app_url)
		json_object_set_new(reply, "app_url", json_string(app_url));
	if (code != 0) {
		if (!s->cfg.quiet)
			sp_warn("deployment %s: %s", id, err);
		json_object_set_new(reply, "error", json_string(err));
		cloud_reply_json(k, 500, reply);
	} else {
		cloud_reply_json(k, 200, reply);
	}
	cloud_conn_done(k, c);
	free(app_url);
	json_decref(body);
}

void
cloud_deploy_list(struct cloud_call *k)
{
	char err[1024];
	json_t *list;
	PGconn *c;
	int rc;

	if (!(c = cloud_conn(k)))
		return;
	rc = cs_deploy_list(c, k->tenant, &list, err, sizeof err);
	if (rc != CS_OK)
		cloud_reply_store(k, c, rc, err);
	else
		cloud_reply_json(k, 200, json_pack("{so}", "deployments", list));
	cloud_conn_done(k, c);
}
