/* sp-unpack - verify an sp archive completely and install it into DIR in
 * one atomic step. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "archive/gz.h"
#include "archive/have.h"
#include "archive/sparchive.h"
#include "archive/stage.h"
#include "core/cli.h"
#include "core/err.h"
#include "core/fsutil.h"
#include "core/glob.h"
#include "core/path.h"
#include "rec/ndjson.h"

static const char usage[] =
    "usage: sp-unpack [-n] [--delete] [--remove LIST] [-f GLOB]... [--local RECORDS]\n"
    "                 [--max-size SIZE] [--sync] [--plain] [ARCHIVE] DIR\n"
    "Verify the tar.gz ARCHIVE (or stdin, or \"-\") against its manifest, refuse\n"
    "anything unsafe, then make DIR the new tree in one atomic step. Writes a\n"
    "file record per file installed.\n"
    "  -n, --dry-run     verify everything, change nothing\n"
    "      --delete      remove local files the archive does not list\n"
    "      --remove LIST remove the local files named by the file records in\n"
    "                    LIST (\"-\": stdin) in the same atomic step\n"
    "  -f, --filter GLOB install only the archive's files whose path matches\n"
    "                    GLOB (repeatable; as sp-diff --filter), all verified;\n"
    "                    --delete then removes only matching local files\n"
    "      --local RECS  a delta (sp-download files --have): a listed file the\n"
    "                    archive leaves out comes from DIR, at the path that\n"
    "                    RECS (DIR's file records) gives its SHA-256, verified\n"
    "      --max-size N  refuse archives larger than N bytes (K/M/G/T; default 4G)\n"
    "      --max-ratio N refuse gzip data inflating over N:1 past 64M (default 200; 0: any)\n"
    "      --sync        flush the new tree to disk before switching\n"
    "      --plain       also take a tarball without a manifest (upstream's):\n"
    "                    every entry is checked and hashed, the manifest built\n";

struct removed {
	char **v;
	size_t n;
	const char *dir;
	int del;
};

static void
on_removed(const char *path, int conflict, void *arg)
{
	struct removed *r = arg;

	if (conflict && !r->del)
		sp_warn("%s/%s: not kept: the archive has a file or directory in its place", r->dir, path);
	r->v = sp_realloc(r->v, (r->n + 1) * sizeof *r->v);
	r->v[r->n++] = sp_strdup(path);
}

/* The --filter globs: an archive path is installed when one matches (all
 * when there are none), as sp-diff --filter matches a file record. */
static const char **globs;
static size_t nglobs;

static int
wanted(const char *path)
{
	for (size_t i = 0; i < nglobs; i++)
		if (sp_glob_match(globs[i], path))
			return 1;
	return nglobs == 0;
}

/* Install (or with st NULL, only verify) every entry; returns 0 or an
 * exit status with the message in err. Entries --filter leaves out are
 * verified as they stream by and not installed. */
static int
extract(struct sp_areader *ar, struct sp_stage *st, char *err, size_t errlen)
{
	struct sp_aentry e;
	const void *p;
	size_t n;
	int t, fd;

	while ((t = sp_areader_next(ar, &e, err, errlen)) == 0) {
		if (!st || !wanted(e.path))
			continue;
		switch (e.kind) {
		case SP_AE_DIR:
			sp_stage_mkdir(st, e.path);
			break;
		case SP_AE_LINK:
			sp_stage_symlink(st, e.path, e.file->link, e.mtime);
			break;
		case SP_AE_FILE:
			fd = sp_stage_file(st, e.path);
			while ((t = sp_areader_data(ar, &p, &n, err, errlen)) == 0 && n > 0)
				if (sp_write_all(fd, p, n) != 0)
					sp_die_errno(SP_EX_IOERR, "%s: write", e.path);
			if (t) {
				close(fd);
				return t;
			}
			sp_stage_file_done(st, fd, e.path, e.file->mode, e.mtime);
			break;
		}
	}
	return t < 0 ? 0 : t;
}

static int
pathcmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Read the file records of list into a sorted array of paths (*n); dies
 * 65 naming the line of a record that is not a file record with a clean
 * relative path. */
static char **
read_remove(const char *list, size_t *n)
{
	struct sp_reader *r = sp_reader_open(list);
	char **v = NULL;
	json_t *rec;

	*n = 0;
	while ((rec = sp_reader_next(r))) {
		const char *why = NULL;
		char *p = NULL;

		if (strcmp(sp_record_type(rec), "file"))
			why = "not a file record";
		else if ((p = sp_record_path(rec, &why)) && (why = sp_path_unsafe(p, 0)))
			free(p);
		if (why)
			sp_reader_die(r, "%s", why);
		v = sp_realloc(v, (*n + 1) * sizeof *v);
		v[(*n)++] = p;
		json_decref(rec);
	}
	sp_reader_close(r);
	if (*n)
		qsort(v, *n, sizeof *v, pathcmp);
	return v;
}

/* The part of manifest m that --filter keeps, in *sub (its file array
 * shares m's strings; free sub->v only); m itself without a filter. */
static const struct sp_manifest *
in_scope(const struct sp_manifest *m, struct sp_manifest *sub)
{
	if (!nglobs)
		return m;
	*sub = *m;
	sub->v = sp_calloc(m->n ? m->n : 1, sizeof *sub->v);
	sub->n = 0;
	sub->total = 0;
	for (size_t i = 0; i < m->n; i++)
		if (wanted(m->v[i].path)) {
			sub->v[sub->n++] = m->v[i];
			sub->total += m->v[i].size;
		}
	return sub;
}

/* A delta's listed files that the archive left out, staged from DIR's
 * own (have: DIR's records by content), each verified; symlinks from the
 * manifest. Dies 65 when one is nowhere, or not what the manifest says. */
static void
from_dir(struct sp_stage *st, const char *dir, const struct sp_manifest *m, const struct sp_have *have)
{
	char err[1024];
	int t;

	for (size_t i = 0; i < m->n; i++) {
		const struct sp_mfile *f = &m->v[i];
		const char *src;

		if (f->seen || !wanted(f->path))
			continue;
		if (f->link) {
			if (st)
				sp_stage_symlink(st, f->path, f->link, f->mtime);
			continue;
		}
		if (!(src = sp_have_find(have, f->sha256, f->path))) {
			if (st)
				sp_stage_abort(st);
			sp_die(SP_EX_DATAERR, "%s: not in the archive, and no local file has its SHA-256 "
			    "(the --local records are not of %s?)", f->path, dir);
		}
		if ((t = sp_stage_local(st, dir, src, f, err, sizeof err))) {
			if (st)
				sp_stage_abort(st);
			sp_die(t, "%s", err);
		}
	}
}

static void
emit_installed(const struct sp_manifest *m, int local)
{
	size_t i;

	for (i = 0; i < m->n; i++) {
		const struct sp_mfile *f = &m->v[i];
		json_t *rec = json_object();
		char mode[8];

		snprintf(mode, sizeof mode, "%04o", f->mode);
		json_object_set_new(rec, "type", json_string("file"));
		json_object_set_new(rec, "path", json_string(f->path));
		json_object_set_new(rec, "size", json_integer(f->size));
		json_object_set_new(rec, "mode", json_string(mode));
		json_object_set_new(rec, "mtime", json_integer(f->mtime));
		json_object_set_new(rec, "sha256", json_string(f->sha256));
		if (f->link)
			json_object_set_new(rec, "link", json_string(f->link));
		if (local && !f->seen)	/* a delta left it out: DIR's own copy */
			json_object_set_new(rec, "from_local", json_true());
		sp_emit(rec);
	}
}

int
main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{"dry-run", no_argument, NULL, 'n'},
		{"delete", no_argument, NULL, 'D'},
		{"remove", required_argument, NULL, 'R'},
		{"max-size", required_argument, NULL, 'M'},
		{"max-ratio", required_argument, NULL, 'Q'},
		{"sync", no_argument, NULL, 'S'},
		{"plain", no_argument, NULL, 'P'},
		{"filter", required_argument, NULL, 'f'},
		{"local", required_argument, NULL, 'L'},
		SP_STD_LONGOPTS,
		{0},
	};
	long long max_size = SP_ARCHIVE_MAX_DEFAULT;
	struct removed rm = {0};
	struct sp_areader *ar;
	struct sp_stage *st = NULL;
	struct sp_manifest sub = {0};
	const struct sp_manifest *m;
	const char *archive = "-", *dir, *list = NULL, *local = NULL;
	struct sp_have *have = NULL;
	char **drop = NULL;
	size_t ndrop = 0;
	int c, dry = 0, sync = 0, flags = 0, fd, t;
	char err[1024];
	size_t i;

	sp_setprog(argv[0]);
	globs = sp_calloc((size_t)argc, sizeof *globs);
	while ((c = getopt_long(argc, argv, "hnf:", lopts, NULL)) != -1) {
		switch (c) {
		case 'n': dry = 1; break;
		case 'f': globs[nglobs++] = optarg; break;
		case 'D': rm.del = 1; break;
		case 'R': list = optarg; break;
		case 'M': max_size = sp_parse_size("--max-size", optarg); break;
		case 'Q': sp_gz_max_ratio = (long)sp_parse_num("--max-ratio", optarg, 0, 100000); break;
		case 'S': sync = 1; break;
		case 'P': flags |= SP_AR_PLAIN; break;
		case 'L': local = optarg; break;
		case 'h': sp_help(usage);
		case 'V': sp_version();
		default: sp_usage_die(usage, NULL);
		}
	}
	if (argc - optind < 1 || argc - optind > 2)
		sp_usage_die(usage, "expected [ARCHIVE] DIR");
	if (argc - optind == 2)
		archive = argv[optind++];
	rm.dir = dir = argv[optind];
	if (!*dir)
		sp_usage_die(usage, "DIR is empty");
	if (list && !strcmp(list, "-") && !strcmp(archive, "-"))
		sp_usage_die(usage, "--remove - needs the archive as a file, not stdin");
	if (local && (flags & SP_AR_PLAIN))
		sp_usage_die(usage, "--local takes a delta of an sp archive, not --plain");
	if (local && list && !strcmp(local, "-") && !strcmp(list, "-"))
		sp_usage_die(usage, "--local - and --remove - cannot both be stdin");
	if (local && !strcmp(local, "-") && !strcmp(archive, "-"))
		sp_usage_die(usage, "--local - needs the archive as a file, not stdin");
	if (list)
		drop = read_remove(list, &ndrop);
	if (local) {
		have = sp_have_read(local);
		flags |= SP_AR_PARTIAL;	/* listed files may come from DIR */
	}

	fd = strcmp(archive, "-") ? open(archive, O_RDONLY | O_CLOEXEC) : STDIN_FILENO;
	if (fd < 0)
		sp_die_errno(sp_ex_for_errno(errno), "%s", archive);
	if ((t = sp_areader_open_opt(fd, max_size, flags, &ar, err, sizeof err)))
		sp_die(t, "%s", err);
	if (!dry)
		st = sp_stage_new(dir);
	if ((t = extract(ar, st, err, sizeof err))) {
		if (st)
			sp_stage_abort(st);
		sp_die(t, "%s", err);
	}
	if (have)
		from_dir(st, dir, sp_areader_manifest(ar), have);
	m = in_scope(sp_areader_manifest(ar), &sub);
	sp_stage_keep(st, dir, m, rm.del, drop, ndrop, globs, nglobs, on_removed, &rm);
	if (st)
		sp_stage_commit(st, sync);
	if (fd != STDIN_FILENO)
		close(fd);

	emit_installed(m, have != NULL);
	for (i = 0; i < rm.n; i++) {
		json_t *rec = json_object();

		json_object_set_new(rec, "type", json_string("file"));
		sp_record_set_path(rec, rm.v[i]);
		json_object_set_new(rec, "deleted", json_true());
		sp_emit(rec);
		free(rm.v[i]);
	}
	free(rm.v);
	for (i = 0; i < ndrop; i++)
		free(drop[i]);
	free(drop);
	free(sub.v);
	free(globs);
	sp_have_free(have);
	sp_areader_free(ar);
	sp_finish_stdout();
	return 0;
}
