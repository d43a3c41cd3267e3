/* route.c - sp-cloudd's route table: paths, methods, body limits and
 * handlers in one place. */
#include <stdio.h>
#include <string.h>

#include "cloud/auth.h"
#include "cloud/endpoints.h"
#include "cloud/route.h"

#define PREFIX "/api/v1/cloud/tenants/"

static const struct cloud_route routes[] = {
	{"/healthz", 0, 0, CB_NONE, cloud_health, NULL, "GET, HEAD"},
	{"/files", 1, 1, CB_ARCHIVE, cloud_files_pull, cloud_files_push, "GET, HEAD, POST"},
	{"/files/manifest", 1, 1, CB_NONE, cloud_files_manifest, NULL, "GET, HEAD"},
	{"/files/delta", 1, 0, CB_JSON, NULL, cloud_files_delta, "POST"},
	{"/database/import", 1, 0, CB_JSON, NULL, cloud_db_import, "POST"},
	{"/database/export", 1, 0, CB_NONE, cloud_db_export, NULL, "GET, HEAD"},
	{"/deploy", 1, 0, CB_SMALL, cloud_deploy_list, cloud_deploy_post, "GET, HEAD, POST"},
};
#define NROUTES (sizeof routes / sizeof *routes)

const struct cloud_route *
cloud_route_match(const char *path, char *tenant, int *bad)
{
	const char *id, *end;
	size_t i, n;

	*bad = 0;
	tenant[0] = '\0';
	for (i = 0; i < NROUTES; i++)
		if (!routes[i].tenant && !strcmp(path, routes[i].path))
			return &routes[i];
	if (strncmp(path, PREFIX, strlen(PREFIX)))
		return NULL;
	id = path + strlen(PREFIX);
	end = strchr(id, '/');
	if (!end)
		return NULL;
	for (i = 0; i < NROUTES; i++) {
		if (!routes[i].tenant || strcmp(end, routes[i].path))
			continue;
		n = (size_t)(end - id);
		if (n > CLOUD_TENANT_MAX) {
			*bad = 1;
			n = CLOUD_TENANT_MAX;
		}
		memcpy(tenant, id, n);
		tenant[n] = '\0';
		if (!cloud_tenant_valid(tenant))
			*bad = 1;
		return &routes[i];
	}
	return NULL;
}

void (*cloud_route_handler(const struct cloud_route *r, const char *method))(struct cloud_call *)
{
	if (!strcmp(method, "GET") || !strcmp(method, "HEAD"))
		return r->get;
	if (!strcmp(method, "POST"))
		return r->post;
	return NULL;
}

long long
cloud_route_body_limit(const struct cloud_config *cfg, const struct cloud_route *r,
    const char *method)
{
	if (strcmp(method, "POST"))
		return 0;
	switch (r->body) {
	case CB_ARCHIVE:
		return cfg->max_body;
	case CB_JSON:
		return cfg->max_json;
	case CB_SMALL:
		return 64 * 1024;
	case CB_NONE:
		break;
	}
	return 0;
}
