/* sp-dbexport - stream tables out of PostgreSQL as row records. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cli.h"
#include "core/err.h"
#include "db/doc.h"
#include "diff/reckey.h"
#include "pg/export.h"
#include "pg/pg.h"
#include "rec/ndjson.h"

static const char usage[] =
    "usage: sp-dbexport [-D] [-t TABLE]... [-f GLOB]... [--where CONDITION] [--schema NAME]\n"
    "Write the rows of the synchronised tables (DATABASE_URL) as row records,\n"
    "table by table in foreign-key order, each in primary-key order, all from\n"
    "one snapshot.\n"
    "  -t, --table TABLE     only this table (repeatable): agents, users,\n"
    "                        agent_skills (or skills), contexts, content\n"
    "  -w, --where COND      only rows matching the SQL condition COND\n"
    "  -f, --filter GLOB     only rows matching GLOB (repeatable): a table, skills,\n"
    "                        a skill id, a source, SOURCE/SLUG or a file_path,\n"
    "                        as sp-diff --filter\n"
    "      --schema NAME     the PostgreSQL schema holding the tables (default public)\n"
    "  -D, --document        write one DatabaseExport document instead of records\n";

static const char **filters;	/* --filter */
static int nfilters;

/* True when the row passes the filters; parses it only when there are. */
static int
wanted(const char *table, const char *json, size_t len)
{
	json_t *rec;
	int hit = 0;

	if (!nfilters)
		return 1;
	rec = json_pack("{s:s, s:s, s:o}", "type", "row", "table", table, "data",
	    json_loadb(json, len, 0, NULL));
	for (int i = 0; rec && i < nfilters && !hit; i++)
		hit = sp_record_matches(rec, filters[i]);
	json_decref(rec);
	return hit;
}

static int
put_record(void *arg, const char *table, const char *json, size_t len, char *err, size_t errlen)
{
	FILE *out = arg;

	(void)err;
	(void)errlen;
	if (!wanted(table, json, len))
		return 0;
	fputs_unlocked("{\"type\":\"row\",\"table\":\"", out);
	fputs_unlocked(table, out);
	fputs_unlocked("\",\"data\":", out);
	fwrite_unlocked(json, 1, len, out);
	fputs_unlocked("}\n", out);
	if (ferror_unlocked(out))
		sp_die_errno(SP_EX_IOERR, "write error on standard output");
	return 0;
}

static int
put_doc_row(void *arg, const char *table, const char *json, size_t len, char *err, size_t errlen)
{
	if (!wanted(table, json, len))
		return 0;
	return sp_docw_row_json(arg, table, json, len, err, errlen);
}

int
main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{"table", required_argument, NULL, 't'},
		{"where", required_argument, NULL, 'w'},
		{"schema", required_argument, NULL, 's'},
		{"document", no_argument, NULL, 'D'},
		{"filter", required_argument, NULL, 'f'},
		SP_STD_LONGOPTS,
		{0},
	};
	struct sp_dbexport_opts o = {0};
	const char **tables = NULL;
	struct sp_docw *doc = NULL;
	char err[2048], *conninfo;
	int c, n = 0, code, document = 0;
	PGconn *conn;

	sp_setprog(argv[0]);
	while ((c = getopt_long(argc, argv, "ht:w:Df:", lopts, NULL)) != -1) {
		switch (c) {
		case 't':
			tables = sp_realloc(tables, sizeof *tables * (size_t)(n + 2));
			tables[n++] = optarg;
			tables[n] = NULL;
			break;
		case 'w':
			o.where = optarg;
			break;
		case 's':
			o.schema = optarg;
			break;
		case 'D':
			document = 1;
			break;
		case 'f':
			filters = sp_realloc(filters, sizeof *filters * (size_t)(nfilters + 1));
			filters[nfilters++] = optarg;
			break;
		case 'h':
			sp_help(usage);
		case 'V':
			sp_version();
		default:
			sp_usage_die(usage, NULL);
		}
	}
	if (optind < argc)
		sp_usage_die(usage, "unexpected argument: %s", argv[optind]);
	o.tables = tables;

	if (!(conninfo = sp_pg_conninfo(err, sizeof err)))
		sp_die(SP_EX_CONFIG, "%s", err);
	if ((code = sp_pg_connect(conninfo, &conn, err, sizeof err)))
		sp_die(code, "%s", err);
	free(conninfo);
	setvbuf(stdout, NULL, _IOFBF, 1 << 17);
	if (document) {
		if (!(doc = sp_docw_new(sp_docw_write_file, stdout)))
			sp_die(SP_EX_SOFTWARE, "out of memory");
		code = sp_db_export(conn, &o, put_doc_row, doc, err, sizeof err);
		if (!code)
			code = sp_docw_finish(doc, NULL, err, sizeof err);
		sp_docw_free(doc);
	} else {
		code = sp_db_export(conn, &o, put_record, stdout, err, sizeof err);
	}
	PQfinish(conn);
	free(tables);
	free(filters);
	if (code)
		sp_die(code, "%s", err);
	sp_finish_stdout();
	return 0;
}
