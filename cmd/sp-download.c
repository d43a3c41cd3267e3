/* sp-download - GET the tenant's archive, manifest or database from the cloud API. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/http.h"
#include "archive/have.h"
#include "client/transfer.h"
#include "core/atomic.h"
#include "core/cli.h"
#include "core/err.h"
#include "core/fsutil.h"
#include "core/hash.h"
#include "core/path.h"
#include "diff/reckey.h"
#include "rec/ndjson.h"
#include "rec/result.h"

static const char usage[] =
    "usage: sp-download [OPTION]... files [-o FILE] [--if-none-match SHA256] [--have RECORDS]\n"
    "       sp-download [OPTION]... manifest [--missing-ok] [--etag FILE]\n"
    "       sp-download [OPTION]... database\n"
    "GET from the cloud API (SP_API_URL, SP_TENANT, SP_TOKEN or SP_TOKEN_FILE):\n"
    "  files      the current archive (tar.gz) to FILE or stdout; with -o FILE,\n"
    "             a result record on stdout\n"
    "  manifest   the remote manifest as file records\n"
    "  database   the DatabaseExport document as row records\n"
    "  -o, --output FILE        write the archive to FILE (atomically)\n"
    "  --if-none-match SHA256   skip the download when the remote manifest has\n"
    "                           this SHA-256 (304): nothing is written and a result\n"
    "                           record says unchanged\n"
    "  --have RECORDS           files: a delta, only what the file records RECORDS\n"
    "                           (a local tree's, sp-manifest's) lack by SHA-256, for\n"
    "                           sp-unpack --local; the whole archive from a server\n"
    "                           without deltas\n"
    "  --missing-ok             manifest: no archive yet is an empty manifest\n"
    "  --etag FILE              manifest: write its SHA-256 (the ETag) to FILE\n"
    "  -f, --filter GLOB        manifest, database: only the records matching GLOB\n"
    "                           (repeatable; the grammar of sp-diff --filter)\n"
    SP_HTTP_USAGE;

enum { OPT_IF_NONE_MATCH = 1, OPT_MISSING_OK, OPT_HAVE, OPT_ETAG };

/* --filter: a record is kept when it matches one of them (none: all). */
static const char **filters;
static int nfilters;

static int
keep(json_t *rec)
{
	for (int i = 0; i < nfilters; i++)
		if (sp_record_matches(rec, filters[i]))
			return 1;
	return nfilters == 0;
}

#define OUTBUF (256 << 10)

struct out {
	int fd;			/* stdout, or -1 when writing to the atomic file */
	struct sp_atomic at;
	int hash;		/* hash what is written (for the result record) */
	sp_sha256 sha;
	char *buf;		/* stdout: curl hands out 16 KiB at a time */
	size_t len;
};

static int
out_flush(struct out *o)
{
	int rc = o->len ? sp_write_all(o->fd, o->buf, o->len) : 0;

	o->len = 0;
	return rc;
}

/* Sink: append to the output (hashing it when asked). */
static int
out_write(void *arg, const void *p, size_t n)
{
	struct out *o = arg;

	if (o->hash)
		sp_sha256_update(&o->sha, p, n);
	if (o->fd < 0)
		return fwrite(p, 1, n, o->at.fp) == n ? 0 : -1;
	if (o->len + n > OUTBUF && out_flush(o) != 0)
		return -1;
	if (n >= OUTBUF)
		return sp_write_all(o->fd, p, n);
	memcpy(o->buf + o->len, p, n);
	o->len += n;
	return 0;
}

/* The body of a delta request: the distinct SHA-256s of the file
 * records in file, one per line, in a spool (*size bytes); -1 when there
 * are none (then the whole archive is what is wanted). */
static int
have_body(const char *file, long long *size, long long *n)
{
	struct sp_have *hv = sp_have_read(file);
	int fd;
	FILE *fp;

	*n = (long long)sp_have_count(hv);
	if (*n == 0) {
		sp_have_free(hv);
		return -1;
	}
	fd = sp_http_spool();
	if (!(fp = fdopen(dup(fd), "w")))
		sp_die_errno(SP_EX_IOERR, "spool");
	for (size_t i = 0; i < sp_have_count(hv); i++)
		fprintf(fp, "%s\n", sp_have_hash(hv, i));
	if (fclose(fp) != 0 || (*size = lseek(fd, 0, SEEK_END)) < 0)
		sp_die_errno(SP_EX_IOERR, "spool");
	sp_have_free(hv);
	return fd;
}

static void
files(struct sp_http *h, const char *output, const char *inm, const char *have)
{
	struct out o = {.fd = STDOUT_FILENO};
	struct sp_http_sink sink = {out_write, NULL, &o};
	struct sp_http_req rq = {.method = "GET", .path = "/files", .if_none_match = inm, .sink = &sink};
	struct sp_http_resp rs;
	struct sp_http_body b;
	char err[1024], hex[SP_HEXLEN];
	int code, tofile = output && strcmp(output, "-"), bfd = -1, delta = 0;
	long long bsize = 0, nhave = 0;
	json_t *r, *d;

	if (have && (bfd = have_body(have, &bsize, &nhave)) >= 0) {
		sp_http_body_fd(&b, bfd, bsize);
		rq.method = "POST";
		rq.path = "/files/delta";
		rq.content_type = "text/plain";
		rq.body = &b;
		delta = 1;
	}
	if (!tofile && isatty(STDOUT_FILENO))
		sp_usage_die(usage, "refusing to write an archive to a terminal (use -o FILE)");
	if (tofile) {
		sp_atomic_open(&o.at, output, 0644);
		o.fd = -1;
		o.hash = 1;
		sp_sha256_init(&o.sha);
	} else {
		o.buf = sp_malloc(OUTBUF);
		fcntl(o.fd, F_SETPIPE_SZ, 1 << 20);	/* fewer wake-ups of the reader; may fail */
	}
	code = sp_http_do(h, &rq, &rs, err, sizeof err);
	if (code && delta && (rs.status == 404 || rs.status == 405) && rs.bytes == 0) {
		/* a server without deltas (or nothing pushed): the whole archive */
		sp_http_resp_free(&rs);
		rq.method = "GET";
		rq.path = "/files";
		rq.content_type = NULL;
		rq.body = NULL;
		delta = 0;
		code = sp_http_do(h, &rq, &rs, err, sizeof err);
	}
	if (bfd >= 0) {
		sp_http_body_done(&b);
		close(bfd);
	}
	if (!code && !tofile && out_flush(&o) != 0)
		code = SP_EX_IOERR, snprintf(err, sizeof err, "stdout: %s", strerror(errno));
	if (o.hash)
		sp_sha256_final(&o.sha, hex);
	free(o.buf);
	if (code)
		sp_die(code, "%s", err);
	if (rs.status == 304 || tofile) {
		r = sp_result_new("files_pull");
		d = sp_result_details(r);
		json_object_set_new(d, "status", json_integer(rs.status));
		if (rs.etag)
			json_object_set_new(d, "manifest_sha256", json_string(rs.etag));
		else if (inm && rs.status == 304)
			json_object_set_new(d, "manifest_sha256", json_string(inm));
		json_object_set_new(d, "attempts", json_integer(rs.attempts));
		json_object_set_new(d, "delta", json_boolean(delta));
		if (have)
			json_object_set_new(d, "hashes_sent", json_integer(nhave));
		if (rs.status == 304) {
			json_object_set_new(d, "unchanged", json_true());
			if (tofile)
				sp_atomic_abort(&o.at);
		} else {
			sp_atomic_commit(&o.at);
			json_object_set_new(d, "unchanged", json_false());
			sp_record_set_name(d, "path", output);
			json_object_set_new(d, "size", json_integer(rs.bytes));
			json_object_set_new(d, "sha256", json_string(hex));
		}
		sp_emit(r);
	}
	sp_http_resp_free(&rs);
}

static void
manifest(struct sp_http *h, int missing_ok, const char *etag)
{
	struct sp_http_req rq = {.method = "GET", .path = "/files/manifest"};
	struct sp_http_resp rs;
	char err[1024];
	json_t *m, *list, *f, *rec;
	json_error_t je;
	size_t i;
	int code;

	code = sp_http_do(h, &rq, &rs, err, sizeof err);
	if (code && missing_ok && rs.status == 404) {
		sp_http_resp_free(&rs);
		if (etag) {	/* no version: an empty line */
			struct sp_atomic at;
			FILE *fp = sp_atomic_open(&at, etag, 0644);

			fputc('\n', fp);
			sp_atomic_commit(&at);
		}
		return;
	}
	if (code)
		sp_die(code, "%s", err);
	if (etag) {
		/* the version the records are of: what an incremental push
		 * builds on (sp-upload --base) */
		struct sp_atomic at;
		FILE *fp = sp_atomic_open(&at, etag, 0644);

		fprintf(fp, "%s\n", rs.etag ? rs.etag : "");
		sp_atomic_commit(&at);
	}
	m = json_loadb(rs.body ? rs.body : "", rs.len, 0, &je);
	list = json_object_get(m, "files");
	if (!json_is_array(list))
		sp_die(SP_EX_UNAVAILABLE, "%s/files/manifest: the answer is not a manifest (%s)",
		    sp_http_base(h), m ? "no \"files\" array" : je.text);
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	json_array_foreach(list, i, f) {
		if (!json_is_object(f) || !json_is_string(json_object_get(f, "path")))
			sp_die(SP_EX_UNAVAILABLE, "%s/files/manifest: entry %zu is not a file", sp_http_base(h), i);
		rec = json_pack("{s:s}", "type", "file");
		json_object_update(rec, f);
		json_object_set_new(rec, "type", json_string("file"));
		/* upstream's manifest: {path, checksum, size}, checksum the SHA-256 */
		if (!json_object_get(rec, "sha256") && json_is_string(json_object_get(rec, "checksum"))) {
			json_object_set(rec, "sha256", json_object_get(rec, "checksum"));
			json_object_del(rec, "checksum");
		}
		if (keep(rec))
			sp_emit(rec);
		else
			json_decref(rec);
	}
	json_decref(m);
	sp_http_resp_free(&rs);
}

/* Sink: the spool file; a retry starts it over. */
static int
spool_write(void *arg, const void *p, size_t n)
{
	return sp_write_all(*(int *)arg, p, n);
}

static int
spool_reset(void *arg)
{
	int fd = *(int *)arg;

	return ftruncate(fd, 0) == 0 && lseek(fd, 0, SEEK_SET) == 0 ? 0 : -1;
}

static void
database(struct sp_http *h)
{
	int fd = sp_http_spool(), code;
	struct sp_http_sink sink = {spool_write, spool_reset, &fd};
	struct sp_http_req rq = {.method = "GET", .path = "/database/export", .sink = &sink};
	struct sp_http_resp rs;
	char err[1024];

	/* the whole document first: a failed transfer writes no row */
	if ((code = sp_http_do(h, &rq, &rs, err, sizeof err)))
		sp_die(code, "%s", err);
	if ((code = sp_transfer_rows(fd, nfilters ? keep : NULL, err, sizeof err)))
		sp_die(code == SP_EX_DATAERR ? SP_EX_UNAVAILABLE : code, "%s/database/export: %s", sp_http_base(h), err);
	close(fd);
	sp_http_resp_free(&rs);
}

int
main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{"output", required_argument, NULL, 'o'},
		{"if-none-match", required_argument, NULL, OPT_IF_NONE_MATCH},
		{"missing-ok", no_argument, NULL, OPT_MISSING_OK},
		{"have", required_argument, NULL, OPT_HAVE},
		{"etag", required_argument, NULL, OPT_ETAG},
		{"filter", required_argument, NULL, 'f'},
		SP_HTTP_LONGOPTS,
		SP_STD_LONGOPTS,
		{0},
	};
	struct sp_http_opts ho = {0};
	const char *output = NULL, *inm = NULL, *kind, *have = NULL, *etag = NULL;
	int c, missing_ok = 0;
	struct sp_http *h;

	sp_setprog(argv[0]);
	opterr = 0;	/* sp_http_bad_option never echoes an option's value */
	while ((c = getopt_long(argc, argv, "ho:f:" SP_HTTP_SHORTOPTS, lopts, NULL)) != -1) {
		if (sp_http_option(&ho, c, optarg))
			continue;
		switch (c) {
		case 'o':
			output = optarg;
			break;
		case OPT_IF_NONE_MATCH:
			inm = optarg;
			break;
		case OPT_MISSING_OK:
			missing_ok = 1;
			break;
		case OPT_HAVE:
			have = optarg;
			break;
		case OPT_ETAG:
			etag = optarg;
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
			sp_http_bad_option(usage, argv);
		}
	}
	if (optind >= argc)
		sp_usage_die(usage, "what to download: files, manifest or database");
	kind = argv[optind++];
	if (optind < argc)
		sp_usage_die(usage, "too many arguments");
	if (strcmp(kind, "files") && strcmp(kind, "manifest") && strcmp(kind, "database"))
		sp_usage_die(usage, "unknown kind \"%s\" (files, manifest or database)", kind);
	if ((output || inm || have) && strcmp(kind, "files"))
		sp_usage_die(usage, "-o, --if-none-match and --have are for files");
	if (nfilters && !strcmp(kind, "files"))
		sp_usage_die(usage, "--filter is for manifest and database");
	if ((missing_ok || etag) && strcmp(kind, "manifest"))
		sp_usage_die(usage, "--missing-ok and --etag are for manifest");
	if (inm && !sp_is_sha256(inm))
		sp_usage_die(usage, "--if-none-match: expected 64 lowercase hex digits");

	h = sp_http_new(&ho);
	if (!strcmp(kind, "files"))
		files(h, output, inm, have);
	else if (!strcmp(kind, "manifest"))
		manifest(h, missing_ok, etag);
	else
		database(h);
	sp_http_free(h);
	free(filters);
	sp_finish_stdout();
	return 0;
}
