/* health.c - GET /healthz: the server and its database answer. */
#include "cloud/call.h"
#include "cloud/endpoints.h"
#include "cloud/pool.h"

void
cloud_health(struct cloud_call *k)
{
	char err[512];
	PGconn *c = cloud_conn(k);

	if (!c)
		return;
	if (cloud_pg_cmd(c, err, sizeof err, "SELECT 1")) {
		k->retry_after = 1;
		cloud_reply_error(k, 503, "database unavailable: %s", err);
	} else {
		cloud_reply_json(k, 200, json_pack("{ss}", "status", "ok"));
	}
	cloud_conn_done(k, c);
}
