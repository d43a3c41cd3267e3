/* cloud_pg.c - libpq helpers and the connection pool of sp-cloudd. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloud_pg.h"
#include "err.h"

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

struct cloud_pool {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	char *conninfo;
	int (*setup)(PGconn *, char *, size_t);
	int size, open;		/* capacity; connections in existence */
	int nidle;
	PGconn **idle;
};

struct cloud_pool *
cloud_pool_new(const char *conninfo, int size, int (*setup)(PGconn *, char *, size_t))
{
	struct cloud_pool *p = sp_calloc(1, sizeof *p);

	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	p->conninfo = sp_strdup(conninfo ? conninfo : "");
	p->setup = setup;
	p->size = size > 0 ? size : 1;
	p->idle = sp_calloc(p->size, sizeof *p->idle);
	return p;
}

PGconn *
cloud_pool_get(struct cloud_pool *p, char *err, size_t errlen)
{
	PGconn *c;

	pthread_mutex_lock(&p->mu);
	while (!p->nidle && p->open >= p->size)
		pthread_cond_wait(&p->cv, &p->mu);
	if (p->nidle) {
		c = p->idle[--p->nidle];
		pthread_mutex_unlock(&p->mu);
		return c;
	}
	p->open++;	/* reserve the slot, connect without the lock */
	pthread_mutex_unlock(&p->mu);
	c = cloud_pg_connect(p->conninfo, err, errlen);
	if (c && p->setup && p->setup(c, err, errlen) != 0) {
		PQfinish(c);
		c = NULL;
	}
	if (!c) {
		pthread_mutex_lock(&p->mu);
		p->open--;
		pthread_cond_signal(&p->cv);
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
	if (c)
		p->idle[p->nidle++] = c;
	else
		p->open--;
	pthread_cond_signal(&p->cv);
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
	pthread_cond_destroy(&p->cv);
	free(p->idle);
	free(p->conninfo);
	free(p);
}
