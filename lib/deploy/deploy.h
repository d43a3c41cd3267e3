/* deploy.h - what sp-deploy builds, pushes and deploys: names checked as
 * docker checks them, the tag from git, and the plan of steps. */
#ifndef SP_DEPLOY_H
#define SP_DEPLOY_H

#include "deploy/steps.h"

struct sp_deploy_cfg {
	const char *image;	/* repository name: "app", "acme/app" */
	const char *registry;	/* "ghcr.io/acme", "localhost:5000", or NULL */
	const char *user;	/* registry user name for docker login */
	const char *token;	/* registry token: docker login when set */
	const char *tag;
	const char *dockerfile;	/* or NULL: docker's default */
	const char *context;	/* build context directory */
	char ***builds;		/* build commands (word vectors), NULL-terminated */
	int skip_build;
};

/* Why image is not a docker repository name (lowercase components of
 * [a-z0-9] joined by ".", "_", "__" or dashes, separated by "/"), or
 * NULL when it is. */
const char *sp_docker_bad_image(const char *image);

/* Why tag is not a docker tag ([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}), or NULL. */
const char *sp_docker_bad_tag(const char *tag);

/* Why registry is not HOST[:PORT][/PATH] (no scheme), or NULL. */
const char *sp_docker_bad_registry(const char *registry);

/* The default build commands of the project in the current directory:
 * `cargo build --release` when Cargo.toml exists, `npm run build` when
 * package.json has a "build" script (dies 65 when package.json is not
 * JSON). Appended to p as steps named "build". */
void sp_deploy_default_builds(struct sp_plan *p);

/* "SHORTCOMMIT-YYYYMMDDHHMMSS" (UTC now) for the git work tree in the
 * current directory, malloc'd; dies 78 when there is no commit to name. */
char *sp_deploy_git_tag(void);

/* Die 65 unless the current directory is a git work tree without
 * uncommitted changes or untracked files (ignored files do not count). */
void sp_deploy_require_clean(void);

/* Append the steps: build (unless skip_build), docker build, docker tag
 * (with a registry), docker login (with a token), docker push, and the
 * deploy request shown as ["POST", deploy_url]. */
void sp_deploy_plan(struct sp_plan *p, const struct sp_deploy_cfg *c, const char *deploy_url);

#endif
