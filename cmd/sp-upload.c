/* sp-upload - POST an archive, the database or a deploy to the cloud API. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client/http.h"
#include "client/transfer.h"
#include "core/cli.h"
#include "core/err.h"
#include "core/hash.h"
#include "core/path.h"
#include "deploy/request.h"
#include "rec/ndjson.h"
#include "rec/result.h"

static const char usage[] =
    "usage: sp-upload [OPTION]... [--base SHA256] files [ARCHIVE]\n"
    "       sp-upload [OPTION]... [--delete] database [FILE]\n"
    "       sp-upload [OPTION]... deploy IMAGE TAG | IMAGE:TAG\n"
    "POST to the cloud API (SP_API_URL, SP_TENANT, SP_TOKEN or SP_TOKEN_FILE)\n"
    "and write one result record:\n"
    "  files      the tar.gz ARCHIVE; without it, stdin holds either the\n"
    "             archive record of sp-pack -o FILE or the archive itself\n"
    "  database   row records, or sp-diff's records (FILE or stdin), as a\n"
    "             DatabaseExport document; --delete: removed rows are deleted\n"
    "  deploy     ask the cloud to roll out IMAGE:TAG\n"
    "  --base SHA256  files: an incremental push (sp-pack --have) built on the\n"
    "             cloud's generation with this manifest SHA-256; 75 when that\n"
    "             is no longer current (409)\n"
    SP_HTTP_USAGE;

static const char *operation = "files_push";

/* Write a failed result record, then die with code and err. */
static void __attribute__((noreturn))
fail(int code, const char *err)
{
	json_t *r = sp_result_new(operation);

	sp_result_error(r, "%s", err);
	json_object_set_new(sp_result_details(r), "code", json_integer(code));
	sp_write_record(stdout, r);
	json_decref(r);
	fflush(stdout);
	sp_die(code, "%s", err);
}

/* The count n of answer, 0 when absent. */
static long long
count(json_t *answer, const char *n)
{
	return json_integer_value(json_object_get(answer, n));
}

static void
files(struct sp_http *h, const char *arg, const char *base)
{
	struct sp_http_body b;
	struct sp_http_req rq = {.method = "POST", .path = "/files", .content_type = "application/gzip", .body = &b};
	char *hdr = base ? sp_asprintf("X-Sp-Base: %s", base) : NULL;
	struct sp_http_resp rs;
	json_t *rec, *answer, *r, *d;
	const char *want, *got;
	char *name, err[1024];
	int fd, code;

	if ((!arg || !strcmp(arg, "-")) && isatty(STDIN_FILENO))
		sp_usage_die(usage, "no ARCHIVE given and stdin is a terminal");
	rec = sp_upload_archive(arg, &b, &fd, &name);
	sp_http_body_hash(&b);
	rq.header = hdr;
	code = sp_http_do(h, &rq, &rs, err, sizeof err);
	free(hdr);
	rq.header = NULL;
	if (code && base && rs.status == 409)
		code = SP_EX_TEMPFAIL;	/* the cloud moved on: plan again (sp-sync does) */
	if (code || (code = sp_http_answer(h, rq.method, rq.path, &rs, &answer, err, sizeof err)))
		fail(code, err);
	r = sp_result_new(operation);
	d = sp_result_details(r);
	json_object_update(d, answer);
	json_object_set_new(d, "archive_size", json_integer(b.size >= 0 ? b.size : b.spooled));
	if ((got = sp_http_body_sha256(&b)))
		json_object_set_new(d, "archive_sha256", json_string(got));
	json_object_set_new(d, "attempts", json_integer(rs.attempts));
	sp_result_add(r, "items_synced", json_is_integer(json_object_get(answer, "files_uploaded")) ?
	    count(answer, "files_uploaded") : count(rec, "files"));
	want = json_string_value(json_object_get(rec, "sha256"));
	if (want && got && strcmp(want, got)) {
		snprintf(err, sizeof err, "%s: the bytes sent differ from the archive record's sha256 (changed since sp-pack?)", name);
		sp_result_error(r, "%s", err);
		code = SP_EX_DATAERR;
	}
	sp_emit(r);
	json_decref(answer);
	json_decref(rec);
	sp_http_resp_free(&rs);
	sp_http_body_done(&b);
	if (fd >= 0)
		close(fd);
	free(name);
	if (code) {
		fflush(stdout);
		sp_die(code, "%s", err);
	}
}

static void
database(struct sp_http *h, const char *file, int del, int quiet)
{
	struct sp_reader *in = sp_reader_open(file);
	int fd = sp_http_spool(), code;
	struct sp_http_body b;
	struct sp_http_req rq = {.method = "POST", .path = "/database/import",
	    .content_type = "application/json", .body = &b};
	struct sp_http_resp rs;
	json_t *answer, *r, *d;
	long long rows, deletes, skipped;
	char err[1024];
	off_t size;

	rows = sp_upload_document(in, fd, del, &deletes, &skipped);
	sp_reader_close(in);
	if ((size = lseek(fd, 0, SEEK_END)) < 0)
		sp_die_errno(SP_EX_IOERR, "spool");
	sp_http_body_fd(&b, fd, size);
	if ((code = sp_http_do(h, &rq, &rs, err, sizeof err)) ||
	    (code = sp_http_answer(h, rq.method, rq.path, &rs, &answer, err, sizeof err)))
		fail(code, err);
	r = sp_result_new(operation);
	sp_result_add(r, "items_synced", count(answer, "created") + count(answer, "updated"));
	sp_result_add(r, "items_skipped", count(answer, "unchanged"));
	sp_result_add(r, "items_deleted", count(answer, "deleted"));
	d = sp_result_details(r);
	json_object_update(d, answer);
	json_object_set_new(d, "rows_sent", json_integer(rows));
	json_object_set_new(d, "deletions_sent", json_integer(deletes));
	if (skipped) {
		/* removed rows kept in the cloud: said, never dropped silently */
		json_object_set_new(d, "removals_kept", json_integer(skipped));
		if (!quiet)
			sp_warn("%lld removed row%s kept in the cloud; --delete deletes them", skipped,
			    skipped == 1 ? "" : "s");
	}
	json_object_set_new(d, "attempts", json_integer(rs.attempts));
	sp_emit(r);
	json_decref(answer);
	sp_http_resp_free(&rs);
	sp_http_body_done(&b);
	close(fd);
}

/* A Docker reference part: printable, no spaces, no leading '-'. */
static int
ref_ok(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n > max || *s == '-')
		return 0;
	for (; *s; s++)
		if (!isgraph((unsigned char)*s))
			return 0;
	return 1;
}

static void
deploy(struct sp_http *h, const char *image, const char *tag)
{
	json_t *answer, *r;
	const char *status;
	char err[1024];
	int code;

	code = sp_deploy_request(h, image, tag, &answer, err, sizeof err);
	if (code)
		fail(code, err);
	r = sp_result_new(operation);
	json_object_update(sp_result_details(r), answer);
	status = json_string_value(json_object_get(answer, "status"));
	if (status && (!strcmp(status, "failed") || !strcmp(status, "error"))) {
		snprintf(err, sizeof err, "deploy of %s:%s failed on the cloud side (status \"%s\")", image, tag, status);
		sp_result_error(r, "%s", err);
		code = SP_EX_SOFTWARE;
	} else {
		sp_result_add(r, "items_synced", 1);
	}
	sp_emit(r);
	json_decref(answer);
	if (code) {
		fflush(stdout);
		sp_die(code, "%s", err);
	}
}

int
main(int argc, char **argv)
{
	enum { O_DELETE = 0x1300, O_BASE };
	static const struct option lopts[] = {
		{"delete", no_argument, NULL, O_DELETE},
		{"base", required_argument, NULL, O_BASE},
		SP_HTTP_LONGOPTS,
		SP_STD_LONGOPTS,
		{0},
	};
	/* static: still reachable when a step dies (the leak checker's view) */
	static struct sp_http_opts ho;
	static struct sp_http *h;
	const char *kind;
	char *image = NULL, *tag = NULL, *colon, *slash;
	int c, nargs, del = 0;
	const char *base = NULL;

	sp_setprog(argv[0]);
	opterr = 0;	/* sp_http_bad_option never echoes an option's value */
	while ((c = getopt_long(argc, argv, "h" SP_HTTP_SHORTOPTS, lopts, NULL)) != -1) {
		if (sp_http_option(&ho, c, optarg))
			continue;
		switch (c) {
		case O_DELETE:
			del = 1;
			break;
		case O_BASE:
			base = optarg;
			break;
		case 'h':
			sp_help(usage);
		case 'V':
			sp_version();
		default:
			sp_http_bad_option(usage, argv);
		}
	}
	if (optind >= argc)
		sp_usage_die(usage, "what to upload: files, database or deploy");
	kind = argv[optind++];
	nargs = argc - optind;
	if (!strcmp(kind, "files") || !strcmp(kind, "database")) {
		if (nargs > 1)
			sp_usage_die(usage, "too many arguments");
	} else if (!strcmp(kind, "deploy")) {
		if (nargs < 1 || nargs > 2)
			sp_usage_die(usage, "deploy takes IMAGE and TAG, or IMAGE:TAG");
		image = sp_strdup(argv[optind]);
		if (nargs == 2) {
			tag = sp_strdup(argv[optind + 1]);
		} else {
			/* the full reference: the tag follows the last ':' after the last '/' */
			slash = strrchr(image, '/');
			if (!(colon = strrchr(slash ? slash : image, ':')))
				sp_usage_die(usage, "deploy takes IMAGE and TAG, or IMAGE:TAG");
			*colon = '\0';
			tag = sp_strdup(colon + 1);
		}
		if (!ref_ok(image, 255))
			sp_usage_die(usage, "invalid image name");
		if (!ref_ok(tag, 128))
			sp_usage_die(usage, "invalid tag");
	} else {
		sp_usage_die(usage, "unknown kind \"%s\" (files, database or deploy)", kind);
	}

	if (del && strcmp(kind, "database"))
		sp_usage_die(usage, "--delete is for database");
	if (base && (strcmp(kind, "files") || !sp_is_sha256(base)))
		sp_usage_die(usage, "--base takes the manifest SHA-256 a files push builds on");
	if (!strcmp(kind, "database"))
		operation = "database_push";
	else if (!strcmp(kind, "deploy"))
		operation = "deploy";
	h = sp_http_new(&ho);
	if (!strcmp(kind, "files"))
		files(h, nargs ? argv[optind] : NULL, base);
	else if (!strcmp(kind, "database"))
		database(h, nargs ? argv[optind] : NULL, del, ho.quiet);
	else
		deploy(h, image, tag);
	free(image);
	free(tag);
	sp_http_free(h);
	sp_finish_stdout();
	return 0;
}
