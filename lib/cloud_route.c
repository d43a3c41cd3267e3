/* cloud_route.c - sp-cloudd's routes: paths, methods, body limits. */
#include <stdio.h>
#include <string.h>

#include "cloud_srv.h"

#define PREFIX "/api/v1/cloud/tenants/"

static const struct {
	const char *suffix;	/* after "/api/v1/cloud/tenants/{id}" */
	enum cloud_route route;
} tenant_routes[] = {
	{"/files", CR_FILES},
	{"/files/manifest", CR_MANIFEST},
	{"/database/import", CR_DB_IMPORT},
	{"/database/export", CR_DB_EXPORT},
	{"/deploy", CR_DEPLOY},
};

enum cloud_route
cloud_route_match(const char *path, char *tenant, int *bad)
{
	const char *id, *end;
	size_t i, n;

	*bad = 0;
	tenant[0] = '\0';
	if (!strcmp(path, "/healthz"))
		return CR_HEALTH;
	if (strncmp(path, PREFIX, strlen(PREFIX)))
		return CR_NONE;
	id = path + strlen(PREFIX);
	end = strchr(id, '/');
	if (!end)
		return CR_NONE;
	for (i = 0; i < sizeof tenant_routes / sizeof *tenant_routes; i++) {
		if (strcmp(end, tenant_routes[i].suffix))
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
		return tenant_routes[i].route;
	}
	return CR_NONE;
}

const char *
cloud_route_allow(enum cloud_route r)
{
	switch (r) {
	case CR_FILES:
	case CR_DEPLOY:
		return "GET, HEAD, POST";
	case CR_DB_IMPORT:
		return "POST";
	default:
		return "GET, HEAD";
	}
}

int
cloud_route_method_ok(enum cloud_route r, const char *method)
{
	int get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
	int post = !strcmp(method, "POST");

	switch (r) {
	case CR_FILES:
	case CR_DEPLOY:
		return get || post;
	case CR_DB_IMPORT:
		return post;
	case CR_NONE:
		return 0;
	default:
		return get;
	}
}

long long
cloud_route_body_limit(const struct cloud_server *s, enum cloud_route r, const char *method)
{
	if (strcmp(method, "POST"))
		return 0;
	switch (r) {
	case CR_FILES:
		return s->cfg.max_body;
	case CR_DB_IMPORT:
		return s->cfg.max_json;
	case CR_DEPLOY:
		return 64 * 1024;
	default:
		return 0;
	}
}
