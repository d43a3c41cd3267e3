/* probe.c - the database probe of sp-cloudd (probe.h). */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cloud/pool.h"
#include "cloud/probe.h"
#include "cloud/ticker.h"
#include "core/err.h"
#include "core/tstamp.h"

#define ANSWER_MS 2000

struct cloud_probe {
	pthread_mutex_t mu;	/* ok and since */
	struct cloud_ticker *tick;	/* tick(), every second */
	char *conninfo;
	PGconn *c;		/* the probe's own; only tick() touches it */
	int ok;
	double since;
};

/* One probe: 1 when the database answered SELECT 1 in time. */
static int
probe(struct cloud_probe *p)
{
	char err[512];
	double until;
	PGresult *r;
	int good = 0;

	if (!p->c && !(p->c = cloud_pool_connect(p->conninfo, err, sizeof err)))
		return 0;
	if (PQstatus(p->c) != CONNECTION_OK || !PQsendQuery(p->c, "SELECT 1"))
		goto lost;
	until = sp_monotonic() + ANSWER_MS / 1000.0;
	while (PQisBusy(p->c)) {
		struct pollfd pfd = {.fd = PQsocket(p->c), .events = POLLIN};
		int ms = (int)((until - sp_monotonic()) * 1000);

		if (ms <= 0 || poll(&pfd, 1, ms) <= 0 || !PQconsumeInput(p->c))
			goto lost;	/* no answer in time: a fresh connection next */
	}
	while ((r = PQgetResult(p->c))) {
		good = good || PQresultStatus(r) == PGRES_TUPLES_OK;
		PQclear(r);
	}
	if (good)
		return 1;
lost:
	PQfinish(p->c);
	p->c = NULL;
	return 0;
}

static void
set(struct cloud_probe *p, int ok)
{
	pthread_mutex_lock(&p->mu);
	if (ok != p->ok) {
		p->ok = ok;
		p->since = sp_monotonic();
		sp_warn("database %s", ok ? "answers again" : "does not answer");
	}
	pthread_mutex_unlock(&p->mu);
}

static void
tick(void *arg)
{
	struct cloud_probe *p = arg;

	set(p, probe(p));
}

struct cloud_probe *
cloud_probe_start(const char *conninfo)
{
	struct cloud_probe *p = sp_calloc(1, sizeof *p);

	pthread_mutex_init(&p->mu, NULL);
	p->conninfo = sp_strdup(conninfo ? conninfo : "");
	p->ok = probe(p);
	p->since = sp_monotonic();
	if (!(p->tick = cloud_ticker_start(1, tick, p))) {
		if (p->c)
			PQfinish(p->c);
		pthread_mutex_destroy(&p->mu);
		free(p->conninfo);
		free(p);
		return NULL;
	}
	return p;
}

void
cloud_probe_stop(struct cloud_probe *p)
{
	if (!p)
		return;
	cloud_ticker_stop(p->tick);
	if (p->c)
		PQfinish(p->c);
	pthread_mutex_destroy(&p->mu);
	free(p->conninfo);
	free(p);
}

int
cloud_probe_ok(struct cloud_probe *p, double *secs)
{
	int ok;

	pthread_mutex_lock(&p->mu);
	ok = p->ok;
	if (secs)
		*secs = sp_monotonic() - p->since;
	pthread_mutex_unlock(&p->mu);
	return ok;
}
