/* sp-dbimport - upsert row records into PostgreSQL in one transaction. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dbdoc.h"
#include "dbimport.h"
#include "dbschema.h"
#include "err.h"
#include "ndjson.h"
#include "pg.h"
#include "result.h"

static const char usage[] =
    "usage: sp-dbimport [-n] [--delete] [-D] [--schema NAME] [--operation NAME] [FILE]\n"
    "       sp-dbimport --init [--schema NAME]\n"
    "Validate every row record (FILE or stdin), then upsert them all into the\n"
    "database (DATABASE_URL) in one transaction and write one result record.\n"
    "  -n, --dry-run         do the same work, report exact counts, roll back\n"
    "      --delete          diff records with status \"removed\" delete their row\n"
    "  -D, --document        read one DatabaseExport document instead of records\n"
    "      --schema NAME     the PostgreSQL schema holding the tables (default public)\n"
    "      --operation NAME  the result record's operation (default database_pull)\n"
    "      --init            create the schema and tables if missing, then exit\n";

struct opts {
	int dry_run, del, document, init;
	const char *schema, *operation;
	long long skipped_removals;
};

/* Queue one input record: row, or diff (added/modified upsert, removed deletes). */
static void
take(struct sp_dbimport *im, struct opts *o, json_t *rec, struct sp_reader *in, const char *where)
{
	const char *type = sp_record_type(rec), *status;
	char why[1024];
	int del = 0, code;

	if (!strcmp(type, "diff")) {
		status = json_string_value(json_object_get(rec, "status"));
		if (!status)
			sp_reader_die(in, "diff record without a \"status\"");
		if (!strcmp(status, "unchanged"))
			return;
		if (!strcmp(status, "removed")) {
			if (!o->del) {
				o->skipped_removals++;
				return;
			}
			del = 1;
		} else if (strcmp(status, "added") && strcmp(status, "modified")) {
			sp_reader_die(in, "diff record with unknown status \"%.40s\"", status);
		}
		rec = json_object_get(rec, "record");
		if (!json_is_object(rec))
			sp_reader_die(in, "diff record without a \"record\" object");
	} else if (strcmp(type, "row")) {
		if (in)
			sp_reader_die(in, "expected a row or diff record, not \"%.40s\"", type);
	}
	if ((code = sp_dbimport_add(im, rec, del, why, sizeof why))) {
		if (code == SP_EX_DATAERR && in)
			sp_reader_die(in, "%s", why);
		sp_die(code, "%s%s%s", where ? where : "", where ? ": " : "", why);
	}
}

static void
read_records(struct sp_dbimport *im, struct opts *o, const char *file)
{
	struct sp_reader *in = sp_reader_open(file);
	json_t *rec;

	while ((rec = sp_reader_next(in))) {
		take(im, o, rec, in, NULL);
		json_decref(rec);
	}
	sp_reader_close(in);
}

static void
read_document(struct sp_dbimport *im, struct opts *o, const char *file)
{
	FILE *fp = stdin;
	struct sp_docr *r;
	char err[1024], where[1200];
	json_t *rec;
	int rc;

	if (file && strcmp(file, "-") && !(fp = fopen(file, "r")))
		sp_die_errno(sp_ex_for_errno(errno), "%s", file);
	if (!(r = sp_docr_new(sp_docr_read_file, fp)))
		sp_die(SP_EX_SOFTWARE, "out of memory");
	while ((rc = sp_docr_next(r, &rec, err, sizeof err)) == 1) {
		snprintf(where, sizeof where, "%s: %s", file ? file : "<stdin>", sp_docr_where(r));
		take(im, o, rec, NULL, where);
		json_decref(rec);
	}
	if (rc)
		sp_die(rc, "%s: %s", file ? file : "<stdin>", err);
	sp_docr_free(r);
	if (fp != stdin)
		fclose(fp);
}

static PGconn *
connect_db(void)
{
	char err[2048], *conninfo;
	PGconn *c;
	int code;

	if (!(conninfo = sp_pg_conninfo(err, sizeof err)))
		sp_die(SP_EX_CONFIG, "%s", err);
	code = sp_pg_connect(conninfo, &c, err, sizeof err);
	free(conninfo);
	if (code)
		sp_die(code, "%s", err);
	return c;
}

int
main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{"dry-run", no_argument, NULL, 'n'},
		{"delete", no_argument, NULL, 'd'},
		{"document", no_argument, NULL, 'D'},
		{"schema", required_argument, NULL, 's'},
		{"operation", required_argument, NULL, 'o'},
		{"init", no_argument, NULL, 'i'},
		SP_STD_LONGOPTS,
		{0},
	};
	struct opts o = {.operation = "database_pull"};
	struct sp_dbimport *im;
	json_t *counts, *res;
	char err[2048];
	PGconn *conn;
	int c, code;

	sp_setprog(argv[0]);
	while ((c = getopt_long(argc, argv, "hnD", lopts, NULL)) != -1) {
		switch (c) {
		case 'n': o.dry_run = 1; break;
		case 'd': o.del = 1; break;
		case 'D': o.document = 1; break;
		case 's': o.schema = optarg; break;
		case 'o': o.operation = optarg; break;
		case 'i': o.init = 1; break;
		case 'h': sp_help(usage);
		case 'V': sp_version();
		default: sp_usage_die(usage, NULL);
		}
	}
	if (argc - optind > 1)
		sp_usage_die(usage, "too many arguments");
	if (o.init) {
		if (optind < argc || o.dry_run || o.del || o.document)
			sp_usage_die(usage, "--init takes only --schema");
		conn = connect_db();
		if ((code = sp_db_init(conn, o.schema, err, sizeof err)))
			sp_die(code, "%s", err);
		PQfinish(conn);
		return 0;
	}

	/* Every record is validated (and spooled) before the database is touched. */
	if (!(im = sp_dbimport_new()))
		sp_die(SP_EX_SOFTWARE, "out of memory");
	if (o.document)
		read_document(im, &o, optind < argc ? argv[optind] : NULL);
	else
		read_records(im, &o, optind < argc ? argv[optind] : NULL);
	conn = connect_db();
	code = sp_dbimport_apply(im, conn, o.schema, o.dry_run, &counts, err, sizeof err);
	PQfinish(conn);
	sp_dbimport_free(im);
	if (code)
		sp_die(code, "%s%s", err, o.dry_run ? "" : "; nothing was changed");

	res = sp_result_new(o.operation);
	sp_result_add(res, "items_synced", json_integer_value(json_object_get(counts, "created")) +
	    json_integer_value(json_object_get(counts, "updated")));
	sp_result_add(res, "items_skipped", json_integer_value(json_object_get(counts, "unchanged")) +
	    o.skipped_removals);
	sp_result_add(res, "items_deleted", json_integer_value(json_object_get(counts, "deleted")));
	json_object_set_new(counts, "dry_run", json_boolean(o.dry_run));
	if (o.skipped_removals) {
		json_object_set_new(counts, "removals_skipped", json_integer(o.skipped_removals));
		sp_warn("%lld removed rows left in place (use --delete to delete them)", o.skipped_removals);
	}
	json_object_update(sp_result_details(res), counts);
	json_decref(counts);
	sp_emit(res);
	sp_finish_stdout();
	return 0;
}
