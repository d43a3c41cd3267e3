/* sp-dbimport - upsert row records into PostgreSQL in one transaction. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cli.h"
#include "core/err.h"
#include "core/pmap.h"
#include "db/doc.h"
#include "db/tables.h"
#include "pg/import.h"
#include "pg/init.h"
#include "pg/pg.h"
#include "pg/read.h"
#include "rec/ndjson.h"
#include "rec/result.h"

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

/* What an input record asks for (runs in reader threads): a row upserts;
 * a diff record added/modified upserts its record, removed deletes it
 * with --delete (else it is skipped and counted), unchanged is ignored. */
static int
map(void *arg, json_t *rec, json_t **row, int *del, char *why, size_t whylen)
{
	const struct opts *o = arg;
	const char *type = sp_record_type(rec), *status;

	*row = rec;
	if (!strcmp(type, "row"))
		return 1;
	if (strcmp(type, "diff")) {
		snprintf(why, whylen, "expected a row or diff record, not \"%.40s\"", type);
		return -1;
	}
	status = json_string_value(json_object_get(rec, "status"));
	if (!status) {
		snprintf(why, whylen, "diff record without a \"status\"");
		return -1;
	}
	*row = json_object_get(rec, "record");
	if (!strcmp(status, "unchanged"))
		return 2;
	if (strcmp(status, "added") && strcmp(status, "modified") && strcmp(status, "removed")) {
		snprintf(why, whylen, "diff record with unknown status \"%.40s\"", status);
		return -1;
	}
	if (!json_is_object(*row)) {
		snprintf(why, whylen, "diff record without a \"record\" object");
		return -1;
	}
	if (!strcmp(status, "removed")) {
		if (!o->del)
			return 0;
		*del = 1;
	}
	return 1;
}

static void
read_records(struct sp_dbimport *im, struct opts *o, const char *file)
{
	FILE *fp = stdin;
	char err[2048];
	int code;

	if (file && strcmp(file, "-") && !(fp = fopen(file, "r")))
		sp_die_errno(sp_ex_for_errno(errno), "%s", file);
	code = sp_dbread_ndjson(im, fp, file && strcmp(file, "-") ? file : "<stdin>", sp_ncpu(),
	    map, o, &o->skipped_removals, err, sizeof err);
	if (code)
		sp_die(code, "%s", err);
	if (fp != stdin)
		fclose(fp);
}

static void
read_document(struct sp_dbimport *im, const char *file, int del)
{
	const char *name = file && strcmp(file, "-") ? file : "<stdin>";
	FILE *fp = stdin;
	struct sp_docr *r;
	char err[1024], why[1024];
	json_t *rec;
	int rc;

	if (file && strcmp(file, "-") && !(fp = fopen(file, "r")))
		sp_die_errno(sp_ex_for_errno(errno), "%s", file);
	if (!(r = sp_docr_new(sp_docr_read_file, fp)))
		sp_die(SP_EX_SOFTWARE, "out of memory");
	sp_docr_allow_delete(r, del);	/* without --delete, "delete:T" is refused */
	while ((rc = sp_docr_next(r, &rec, err, sizeof err)) == 1) {
		rc = sp_dbimport_add(im, rec, sp_docr_deletion(r), why, sizeof why);
		json_decref(rec);
		if (rc)
			sp_die(rc, "%s: %s: %s", name, sp_docr_where(r), why);
	}
	if (rc)
		sp_die(rc, "%s: %s", name, err);
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
		read_document(im, optind < argc ? argv[optind] : NULL, o.del);
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
