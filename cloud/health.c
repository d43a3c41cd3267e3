/* health.c - GET /healthz: the server lives, and whether its database
 * answers, from the probe (probe.h): never waits on the database, never
 * names it. */
#include "cloud/call.h"
#include "cloud/endpoints.h"
#include "cloud/probe.h"
#include "cloud/server.h"

void
cloud_health(struct cloud_call *k)
{
	double secs;

	if (cloud_probe_ok(k->srv->probe, &secs)) {
		cloud_reply_json(k, 200, json_pack("{ss ss}", "status", "ok", "database", "ok"));
	} else {
		k->retry_after = 1;
		cloud_reply_json(k, 503, json_pack("{ss ss si}", "error",
		    "database unavailable", "database", "unavailable", "seconds", (int)secs));
	}
}
