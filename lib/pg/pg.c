/* pg.c - PostgreSQL connections and errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/strbuf.h"
#include "pg/pg.h"

/* Read NAME='value' (sp-env's quoting) from an env file; malloc'd or NULL. */
static char *
envfile_get(const char *path, const char *name)
{
	char line[4096], *v = NULL;
	size_t nl = strlen(name);
	FILE *fp = fopen(path, "r");

	if (!fp)
		return NULL;
	while (!v && fgets(line, sizeof line, fp)) {
		char *s, *o;

		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, name, nl) || line[nl] != '=')
			continue;
		s = line + nl + 1;
		if (!(v = malloc(strlen(s) + 1)))
			break;
		/* 'a'\''b' -> a'b; bare words as they are */
		for (o = v; *s; s++) {
			if (*s == '\'') {
				while (*++s && *s != '\'')
					*o++ = *s;
				if (!*s)
					break;
			} else if (*s == '\\' && s[1]) {
				*o++ = *++s;
			} else {
				*o++ = *s;
			}
		}
		*o = '\0';
	}
	fclose(fp);
	return v;
}

char *
sp_pg_conninfo(char *err, size_t errlen)
{
	const char *url = getenv("DATABASE_URL"), *dir = getenv("SP_ENV_DIR");
	char path[4096], *base, *port, *db, *ci = NULL;

	if (url && *url) {
		if (!(ci = strdup(url)))
			snprintf(err, errlen, "out of memory");
		return ci;
	}
	snprintf(path, sizeof path, "%s/env", dir && *dir ? dir : ".sp");
	base = envfile_get(path, "PGBASE");
	port = envfile_get(path, "PGPORT");
	db = envfile_get(path, "PG_LOCAL_DB");	/* local_ID in a shared cluster */
	if (base && *base && port && *port) {
		/* the socket directory quoted: it may hold spaces or quotes */
		struct sp_strbuf h = {0};
		for (const char *p = base; *p; p++) {
			if (*p == '\'' || *p == '\\')
				sp_strbuf_putc(&h, '\\');
			sp_strbuf_putc(&h, *p);
		}
		if (asprintf(&ci, "host='%s/run' port=%s dbname=%s user=sp", h.p ? h.p : "", port,
		    db && *db ? db : "local") < 0)
			ci = NULL;
		free(h.p);
	}
	if (!ci)
		snprintf(err, errlen, "DATABASE_URL is not set and there is no embedded database "
		    "in %s (start one with: eval \"$(sp-env up)\")", dir && *dir ? dir : "./.sp");
	free(base);
	free(port);
	free(db);
	return ci;
}

/* First line of a libpq message, without the trailing newline. */
static void
oneline(char *dst, size_t n, const char *msg)
{
	size_t k;

	snprintf(dst, n, "%s", msg ? msg : "unknown error");
	dst[strcspn(dst, "\n")] = '\0';
	k = strlen(dst);
	while (k > 0 && (dst[k - 1] == '\n' || dst[k - 1] == ' '))
		dst[--k] = '\0';
}

int
sp_pg_connect(const char *conninfo, PGconn **out, char *err, size_t errlen)
{
	PGconn *c = PQconnectdb(conninfo);
	char msg[1024];
	int code;

	*out = NULL;
	if (!c) {
		snprintf(err, errlen, "cannot connect to the database: out of memory");
		return SP_EX_SOFTWARE;
	}
	if (PQstatus(c) != CONNECTION_OK) {
		const char *m = PQerrorMessage(c);

		oneline(msg, sizeof msg, m);
		if (strstr(m, "password authentication failed") || strstr(m, "no password supplied") ||
		    strstr(m, "authentication failed"))
			code = SP_EX_NOPERM;
		else if (strstr(m, "does not exist") || strstr(m, "invalid connection option") ||
		    strstr(m, "missing \"=\"") || strstr(m, "invalid URI") || strstr(m, "invalid integer"))
			code = SP_EX_CONFIG;
		else
			code = SP_EX_UNAVAILABLE;
		snprintf(err, errlen, "cannot connect to the database: %s", msg);
		PQfinish(c);
		return code;
	}
	if ((code = sp_pg_session(c, err, errlen))) {
		PQfinish(c);
		return code;
	}
	*out = c;
	return 0;
}

int
sp_pg_session(PGconn *c, char *err, size_t errlen)
{
	if (PQsetClientEncoding(c, "UTF8") != 0)
		return sp_pg_error(c, NULL, "set client_encoding", err, errlen);
	return sp_pg_exec(c, "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; "
	    "SET IntervalStyle = 'iso_8601'; SET extra_float_digits = 3", "session settings", err, errlen);
}

int
sp_pg_error(PGconn *c, const PGresult *r, const char *what, char *err, size_t errlen)
{
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	const char *detail = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL) : NULL;
	const char *prim = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	char msg[1024];
	int code = SP_EX_SOFTWARE;

	if (prim)
		oneline(msg, sizeof msg, prim);
	else if (r && PQresultErrorMessage(r)[0])
		oneline(msg, sizeof msg, PQresultErrorMessage(r));
	else
		oneline(msg, sizeof msg, c ? PQerrorMessage(c) : NULL);
	if (!state || (c && PQstatus(c) == CONNECTION_BAD)) {
		code = c && PQstatus(c) == CONNECTION_BAD ? SP_EX_UNAVAILABLE : SP_EX_SOFTWARE;
	} else if (!strncmp(state, "22", 2) || !strncmp(state, "23", 2) || !strncmp(state, "21", 2)) {
		code = SP_EX_DATAERR;	/* data exception, integrity or cardinality violation */
	} else if (!strncmp(state, "08", 2) || !strncmp(state, "57P", 3)) {
		code = SP_EX_UNAVAILABLE;	/* connection exception, shutdown */
	} else if (!strncmp(state, "40", 2) || !strncmp(state, "53", 2) || !strcmp(state, "55P03")) {
		code = SP_EX_TEMPFAIL;	/* rollback (deadlock, serialization), resources, lock */
	} else if (!strncmp(state, "28", 2) || !strcmp(state, "42501")) {
		code = SP_EX_NOPERM;	/* authorization */
	} else if (!strcmp(state, "3D000") || !strcmp(state, "3F000") || !strcmp(state, "42P01") ||
	    !strcmp(state, "42703")) {
		code = SP_EX_CONFIG;	/* no such database, schema, table, column */
	}
	if (detail && *detail) {
		char d[512];

		oneline(d, sizeof d, detail);
		snprintf(err, errlen, "%s%s%s (%s)", what ? what : "", what ? ": " : "", msg, d);
	} else {
		snprintf(err, errlen, "%s%s%s", what ? what : "", what ? ": " : "", msg);
	}
	if (what && state && (!strcmp(state, "3F000") || !strcmp(state, "42P01"))) {
		size_t k = strlen(err);

		snprintf(err + k, errlen - k, "; is the schema applied (sp-dbimport --init)?");
	}
	return code;
}

int
sp_pg_exec(PGconn *c, const char *sql, const char *what, char *err, size_t errlen)
{
	PGresult *r = PQexec(c, sql);
	int code = 0;

	if (!r || (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK))
		code = sp_pg_error(c, r, what, err, errlen);
	PQclear(r);
	return code;
}

/* r when it succeeded, else NULL with the error in err (r cleared). */
static PGresult *
checked(PGconn *c, PGresult *r, const char *what, char *err, size_t errlen)
{
	ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;

	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
		return r;
	sp_pg_error(c, r, what, err, errlen);
	PQclear(r);
	return NULL;
}

PGresult *
sp_pg_query(PGconn *c, const char *sql, int n, const char *const *params, const char *what,
    char *err, size_t errlen)
{
	return checked(c, PQexecParams(c, sql, n, NULL, params, NULL, NULL, 0), what, err, errlen);
}

PGresult *
sp_pg_prepared(PGconn *c, const char *stmt, int n, const char *const *params, const char *what,
    char *err, size_t errlen)
{
	return checked(c, PQexecPrepared(c, stmt, n, params, NULL, NULL, 0), what, err, errlen);
}

int
sp_pg_lost(PGconn *c)
{
	return !c || PQstatus(c) != CONNECTION_OK;
}

void
sp_pg_rollback(PGconn *c)
{
	PGresult *r;

	if (!c || PQstatus(c) != CONNECTION_OK || PQtransactionStatus(c) == PQTRANS_IDLE)
		return;
	r = PQexec(c, "ROLLBACK");
	PQclear(r);
}

char *
sp_pg_ident(const char *name, char *buf, size_t bufsize)
{
	size_t o = 0;

	if (bufsize < 3)
		return buf;
	buf[o++] = '"';
	for (; *name && o + 3 < bufsize; name++) {
		if (*name == '"')
			buf[o++] = '"';
		buf[o++] = *name;
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}
