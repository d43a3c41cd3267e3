/* route.h - sp-cloudd's routes: one table of paths, methods, body limits
 * and handlers (route.c), which the HTTP layer consults and calls. */
#ifndef SP_CLOUD_ROUTE_H
#define SP_CLOUD_ROUTE_H

#include "cloud/call.h"

enum cloud_body {
	CB_NONE,	/* no request body expected */
	CB_ARCHIVE,	/* an archive: cfg.max_body */
	CB_JSON,	/* a database document: cfg.max_json */
	CB_SMALL,	/* a small JSON request: 64 KiB */
};

struct cloud_route {
	const char *path;	/* a tenant route's suffix after
				 * "/api/v1/cloud/tenants/{id}", or a whole
				 * path when tenant is 0 */
	int tenant;		/* needs a bearer token opening {id} */
	int current;		/* authentication fetches the current archive
				 * for a GET (call.h) */
	enum cloud_body body;	/* what a POST carries */
	void (*get)(struct cloud_call *);	/* GET and HEAD, or NULL */
	void (*post)(struct cloud_call *);	/* POST, or NULL */
	const char *allow;	/* the Allow header: the methods above */
};

/* The route of a decoded request path, or NULL for an unknown path; for a
 * tenant route the tenant segment is copied into
 * tenant[CLOUD_TENANT_MAX+1] and *bad set when it is not a valid id. */
const struct cloud_route *cloud_route_match(const char *path, char *tenant, int *bad);

/* The handler of route r for method (HEAD is GET), or NULL when r does
 * not take that method. */
void (*cloud_route_handler(const struct cloud_route *r, const char *method))(struct cloud_call *);

/* Largest request body route r takes with method (0: none expected). */
long long cloud_route_body_limit(const struct cloud_config *cfg, const struct cloud_route *r,
    const char *method);

#endif
