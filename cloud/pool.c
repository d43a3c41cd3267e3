/* pool.c - the connection pool of sp-cloudd. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloud/pool.h"
#include "cloud/ticker.h"
#include "core/err.h"
#include "core/tstamp.h"
#include "pg/pg.h"

PGconn *
cloud_pool_connect(const char *conninfo, char *err, size_t errlen)
{
	/* defaults first: what conninfo says overrides them (expand_dbname) */
	const char *keys[] = {"connect_timeout", "keepalives", "keepalives_idle",
	    "keepalives_interval", "keepalives_count", "tcp_user_timeout", "dbname",
	    "fallback_application_name", NULL};
	const char *vals[] = {"5", "1", "10", "5", "3", "30000", conninfo, "sp-cloudd", NULL};
	PGconn *c;

	if (!conninfo || !*conninfo) {
		snprintf(err, errlen, "no database: set DATABASE_URL or give -d CONNINFO");
		return NULL;
	}
	c = PQconnectdbParams(keys, vals, 1);
	if (!c) {
		snprintf(err, errlen, "cannot connect to the database: out of memory");
		return NULL;
	}
	if (PQstatus(c) != CONNECTION_OK) {
		char msg[512];
		sp_pg_error(c, NULL, NULL, msg, sizeof msg);
		snprintf(err, errlen, "cannot connect to the database: %s", msg);
		PQfinish(c);
		return NULL;
	}
	return c;
}

/* A thread waiting for a connection: handed one (c), or the right to open
 * one (c NULL), by whoever frees it, strictly in the order they came. */
struct waiter {
	pthread_cond_t cv;
	PGconn *c;
	int ready;
	struct waiter *next;
};

struct cloud_pool {
	pthread_mutex_t mu;
	char *conninfo;
	int (*setup)(PGconn *, char *, size_t);
	int size, open;		/* capacity; connections in existence or being opened */
	int nidle;
	PGconn **idle;
	struct waiter *head, *tail;
	double wait;		/* longest wait for a connection, seconds */
	double deadline;	/* longest checkout, seconds (0: none) */
	struct busy { PGconn *c; double since; int cut; } *busy;	/* checked out */
	int nbusy;
	struct cloud_ticker *tick;	/* look(): the watchdog of checked-out ones */
};

/* Shut down the socket of a connection checked out for longer than the
 * deadline: a database that stopped answering (frozen, or cut off
 * without a reset) then fails the call blocked on it, and the request
 * answers 503, instead of waiting for ever. A checked-out connection is
 * only finished after it left the busy list, so its socket is its own. */
static void
look(void *arg)
{
	struct cloud_pool *p = arg;
	double t = sp_monotonic();

	pthread_mutex_lock(&p->mu);
	for (int i = 0; i < p->nbusy; i++)
		if (!p->busy[i].cut && t - p->busy[i].since > p->deadline) {
			int fd = PQsocket(p->busy[i].c);
			p->busy[i].cut = 1;
			if (fd >= 0)
				shutdown(fd, SHUT_RDWR);
			sp_warn("database call running for over %.0f s: connection closed", p->deadline);
		}
	pthread_mutex_unlock(&p->mu);
}

/* Lock held. */
static void
busy_add(struct cloud_pool *p, PGconn *c)
{
	p->busy[p->nbusy].c = c;
	p->busy[p->nbusy].since = sp_monotonic();
	p->busy[p->nbusy].cut = 0;
	p->nbusy++;
}

/* Lock held. */
static void
busy_del(struct cloud_pool *p, PGconn *c)
{
	for (int i = 0; i < p->nbusy; i++)
		if (p->busy[i].c == c) {
			p->busy[i] = p->busy[--p->nbusy];
			return;
		}
}

struct cloud_pool *
cloud_pool_new(const char *conninfo, int size, int (*setup)(PGconn *, char *, size_t))
{
	struct cloud_pool *p = sp_calloc(1, sizeof *p);

	pthread_mutex_init(&p->mu, NULL);
	p->conninfo = sp_strdup(conninfo ? conninfo : "");
	p->setup = setup;
	p->size = size > 0 ? size : 1;
	p->idle = sp_calloc(p->size, sizeof *p->idle);
	p->busy = sp_calloc(p->size, sizeof *p->busy);
	p->wait = 5;
	return p;
}

void
cloud_pool_limits(struct cloud_pool *p, double wait, double deadline)
{
	p->wait = wait;
	p->deadline = deadline;
	if (deadline > 0 && !p->tick)
		p->tick = cloud_ticker_start(0.25, look, p);
}

/* Hand c (or, when NULL, the slot it held) to the first waiter; with
 * nobody waiting, keep c idle or give the slot up. Lock held. */
static void
release(struct cloud_pool *p, PGconn *c)
{
	struct waiter *w = p->head;

	if (w) {
		p->head = w->next;
		if (!p->head)
			p->tail = NULL;
		w->c = c;
		w->ready = 1;
		pthread_cond_signal(&w->cv);
	} else if (c) {
		p->idle[p->nidle++] = c;
	} else {
		p->open--;
	}
}

/* True when the idle connection c is still good. One the server closed
 * (a restart, say) has its FATAL message and EOF waiting, and an idle
 * connection is sent nothing else (no LISTEN here): anything readable
 * means a fresh connection must take its slot, rather than the request
 * failing on it. */
static int
idle_ok(PGconn *c)
{
	struct pollfd pfd = {.fd = PQsocket(c), .events = POLLIN | POLLRDHUP};

	return PQstatus(c) == CONNECTION_OK && pfd.fd >= 0 && poll(&pfd, 1, 0) == 0;
}

PGconn *
cloud_pool_get(struct cloud_pool *p, char *err, size_t errlen)
{
	PGconn *c = NULL;

	pthread_mutex_lock(&p->mu);
	if (!p->head && p->nidle) {
		c = p->idle[--p->nidle];
	} else if (!p->head && p->open < p->size) {
		p->open++;	/* reserve the slot, connect without the lock */
	} else {
		struct waiter w = {.c = NULL, .ready = 0, .next = NULL};
		struct timespec until;
		pthread_condattr_t ca;

		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&w.cv, &ca);
		pthread_condattr_destroy(&ca);
		sp_deadline(&until, CLOCK_MONOTONIC, p->wait);
		if (p->tail)
			p->tail->next = &w;
		else
			p->head = &w;
		p->tail = &w;
		while (!w.ready && pthread_cond_timedwait(&w.cv, &p->mu, &until) != ETIMEDOUT)
			;
		if (!w.ready) {	/* gave up: leave the queue */
			struct waiter **pp = &p->head, *prev = NULL;
			while (*pp != &w)
				prev = *pp, pp = &(*pp)->next;
			*pp = w.next;
			if (p->tail == &w)
				p->tail = prev;
			pthread_cond_destroy(&w.cv);
			pthread_mutex_unlock(&p->mu);
			snprintf(err, errlen, "no database connection free within %g s", p->wait);
			return NULL;
		}
		pthread_cond_destroy(&w.cv);
		c = w.c;	/* NULL: the slot is ours, connect */
	}
	if (c && idle_ok(c)) {
		busy_add(p, c);
		pthread_mutex_unlock(&p->mu);
		return c;
	}
	pthread_mutex_unlock(&p->mu);
	if (c)
		PQfinish(c);
	c = cloud_pool_connect(p->conninfo, err, errlen);
	if (c && p->setup && p->setup(c, err, errlen) != 0) {
		PQfinish(c);
		c = NULL;
	}
	pthread_mutex_lock(&p->mu);
	if (!c)
		release(p, NULL);
	else
		busy_add(p, c);
	pthread_mutex_unlock(&p->mu);
	return c;
}

void
cloud_pool_put(struct cloud_pool *p, PGconn *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&p->mu);
	busy_del(p, c);		/* the watchdog lets go of it before anything else */
	pthread_mutex_unlock(&p->mu);
	if (PQstatus(c) == CONNECTION_OK && PQtransactionStatus(c) != PQTRANS_IDLE) {
		PGresult *r = PQexec(c, "ROLLBACK");
		PQclear(r);
	}
	if (PQstatus(c) != CONNECTION_OK || PQtransactionStatus(c) != PQTRANS_IDLE) {
		PQfinish(c);
		c = NULL;
	}
	pthread_mutex_lock(&p->mu);
	release(p, c);
	pthread_mutex_unlock(&p->mu);
}

void
cloud_pool_free(struct cloud_pool *p)
{
	if (!p)
		return;
	cloud_ticker_stop(p->tick);
	free(p->busy);
	while (p->nidle)
		PQfinish(p->idle[--p->nidle]);
	pthread_mutex_destroy(&p->mu);
	free(p->idle);
	free(p->conninfo);
	free(p);
}
