/* pool.c - libpq helpers and the connection pool of sp-cloudd. */
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloud/pool.h"
#include "core/err.h"

void
cloud_pg_error(PGconn *c, const PGresult *r, char *err, size_t errlen)
{
	const char *m = r ? PQresultErrorMessage(r) : "";
	char *nl;

	if (!m || !*m)
		m = c ? PQerrorMessage(c) : "no connection";
	if (!m || !*m)
		m = "unknown database error";
	snprintf(err, errlen, "%s", m);
	while ((nl = strchr(err, '\n'))) {
		if (nl[1])
			*nl = ' ';
		else
			*nl = '\0';
	}
}

PGconn *
cloud_pg_connect(const char *conninfo, char *err, size_t errlen)
{
	const char *keys[] = {"dbname", "fallback_application_name", NULL};
	const char *vals[] = {conninfo, "sp-cloudd", NULL};
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
		cloud_pg_error(c, NULL, msg, sizeof msg);
		snprintf(err, errlen, "cannot connect to the database: %s", msg);
		PQfinish(c);
		return NULL;
	}
	return c;
}

static PGresult *
check(PGconn *c, PGresult *r, char *err, size_t errlen)
{
	ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;

	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
		return r;
	cloud_pg_error(c, r, err, errlen);
	PQclear(r);
	return NULL;
}

PGresult *
cloud_pg_run(PGconn *c, char *err, size_t errlen, const char *sql, int n,
    const char *const *params)
{
	return check(c, PQexecParams(c, sql, n, NULL, params, NULL, NULL, 0), err, errlen);
}

PGresult *
cloud_pg_prepared(PGconn *c, char *err, size_t errlen, const char *stmt, int n,
    const char *const *params)
{
	return check(c, PQexecPrepared(c, stmt, n, params, NULL, NULL, 0), err, errlen);
}

int
cloud_pg_cmd(PGconn *c, char *err, size_t errlen, const char *sql)
{
	PGresult *r = check(c, PQexec(c, sql), err, errlen);

	PQclear(r);
	return r ? 0 : -1;
}

int
cloud_pg_lost(PGconn *c)
{
	return !c || PQstatus(c) != CONNECTION_OK;
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
};

struct cloud_pool *
cloud_pool_new(const char *conninfo, int size, int (*setup)(PGconn *, char *, size_t))
{
	struct cloud_pool *p = sp_calloc(1, sizeof *p);

	pthread_mutex_init(&p->mu, NULL);
	p->conninfo = sp_strdup(conninfo ? conninfo : "");
	p->setup = setup;
	p->size = size > 0 ? size : 1;
	p->idle = sp_calloc(p->size, sizeof *p->idle);
	return p;
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
		pthread_cond_init(&w.cv, NULL);
		if (p->tail)
			p->tail->next = &w;
		else
			p->head = &w;
		p->tail = &w;
		while (!w.ready)
			pthread_cond_wait(&w.cv, &p->mu);
		pthread_cond_destroy(&w.cv);
		c = w.c;	/* NULL: the slot is ours, connect */
	}
	pthread_mutex_unlock(&p->mu);
	if (c && idle_ok(c))
		return c;
	if (c)
		PQfinish(c);
	c = cloud_pg_connect(p->conninfo, err, errlen);
	if (c && p->setup && p->setup(c, err, errlen) != 0) {
		PQfinish(c);
		c = NULL;
	}
	if (!c) {
		pthread_mutex_lock(&p->mu);
		release(p, NULL);
		pthread_mutex_unlock(&p->mu);
	}
	return c;
}

void
cloud_pool_put(struct cloud_pool *p, PGconn *c)
{
	if (!c)
		return;
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
	while (p->nidle)
		PQfinish(p->idle[--p->nidle]);
	pthread_mutex_destroy(&p->mu);
	free(p->idle);
	free(p->conninfo);
	free(p);
}
