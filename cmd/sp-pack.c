/* sp-pack - write hashed file records' files into a reproducible tar.gz
 * with .sp-manifest.json as its first entry. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive/base.h"
#include "archive/have.h"
#include "archive/manifest.h"
#include "archive/sparchive.h"
#include "core/atomic.h"
#include "core/cli.h"
#include "core/err.h"
#include "core/fsutil.h"
#include "core/path.h"
#include "core/pmap.h"
#include "core/tstamp.h"
#include "rec/ndjson.h"

static const char usage[] =
    "usage: sp-pack -o FILE [-C DIR] [-l LEVEL] [-j N] [--base ARCHIVE [--remove RECORDS]]\n"
    "               [--have RECORDS] [RECORDS]\n"
    "Read hashed file records (RECORDS or stdin, from sp-manifest) and write\n"
    "a tar.gz: .sp-manifest.json first, then each file in record order.\n"
    "Each file is hashed again while packing; one that changed exits 65.\n"
    "  -o FILE   the archive (\"-\": standard output, and no archive record)\n"
    "  -C DIR    paths are relative to DIR (default .)\n"
    "  -l LEVEL  gzip level 0-9 (default 6)\n"
    "  -j N      compression threads (default: number of CPUs)\n"
    "  --base ARCHIVE    also keep every entry of this verified sp archive that\n"
    "            the records do not replace (a merge in one pass)\n"
    "  --remove RECORDS  file records whose paths are left out of the base\n"
    "  --have RECORDS    an incremental push: the manifest lists every file, but\n"
    "                    the files these records (the cloud's) hold at the same\n"
    "                    path, SHA-256 and mode are left out (sp-upload --base)\n";

struct ent {
	char *path, *link;
	long long size, mtime;
	unsigned mode;
	char sha256[SP_HEXLEN];
};

static struct ent *ents;
static size_t nents;
static struct sp_base *base;	/* --base */
static struct sp_have *have;	/* --have: the far side's files */
static size_t skipped;		/* files --have left out */
static size_t kept;		/* entries of the base kept */

/* qsort: bytewise by path */
static int
bypath(const void *a, const void *b)
{
	return strcmp(((const struct sp_mfile *)a)->path, ((const struct sp_mfile *)b)->path);
}

/* Take one record: validate it and keep what packing needs. */
static void
take(struct sp_reader *in, json_t *rec, long long *maxtime)
{
	json_t *sz = json_object_get(rec, "size"), *mt = json_object_get(rec, "mtime");
	const char *h = json_string_value(json_object_get(rec, "sha256"));
	const char *ms = json_string_value(json_object_get(rec, "mode")), *why;
	struct ent *e;

	ents = sp_realloc(ents, (nents + 1) * sizeof *ents);
	e = memset(&ents[nents++], 0, sizeof *e);
	if (!(e->path = sp_record_path(rec, &why)))
		sp_reader_die(in, "%s", why);
	if (!sp_utf8_valid(e->path, strlen(e->path)))
		sp_reader_die(in, "%s: name is not valid UTF-8; archives carry UTF-8 names only",
		    json_string_value(json_object_get(rec, "path")));
	if ((why = sp_path_unsafe(e->path, 1)))
		sp_reader_die(in, "unsafe path: %s", why);
	if (!strcmp(e->path, SP_MANIFEST_NAME))
		sp_reader_die(in, "%s: the name is reserved for the manifest", e->path);
	if (!h || !sp_is_sha256(h))
		sp_reader_die(in, "%s: record has no valid \"sha256\" (run sp-manifest first)", e->path);
	memcpy(e->sha256, h, SP_HEXLEN);
	e->mtime = json_is_integer(mt) && json_integer_value(mt) > 0 ? json_integer_value(mt) : 0;
	if (e->mtime > *maxtime)
		*maxtime = e->mtime;
	if (json_object_get(rec, "link") || json_object_get(rec, "link_b64")) {
		if (!(e->link = sp_record_name(rec, "link", &why)))
			sp_reader_die(in, "%s: %s", e->path, why);
		if (!sp_utf8_valid(e->link, strlen(e->link)))
			sp_reader_die(in, "%s: symlink target is not valid UTF-8", e->path);
		if ((why = sp_link_unsafe(e->path, e->link)))
			sp_reader_die(in, "%s: %s", e->path, why);
		e->mode = 0777;
		return;
	}
	if (!json_is_integer(sz) || json_integer_value(sz) < 0)
		sp_reader_die(in, "%s: record has no valid \"size\"", e->path);
	e->size = json_integer_value(sz);
	e->mode = ms && strtoul(ms, NULL, 8) & 0111 ? 0755 : 0644;
}

/* The manifest text for ents, checked by the same parser sp-unpack uses. */
static char *
manifest(long long stamp, size_t *len, char *checksum)
{
	const struct sp_manifest *bm = base ? sp_base_manifest(base) : NULL;
	size_t i, n = nents, nb = bm ? bm->n : 0;
	struct sp_mfile *v = sp_calloc(n + nb ? n + nb : 1, sizeof *v);
	struct sp_manifest m;
	char why[512], *s;

	for (i = 0; i < nents; i++) {
		v[i].path = ents[i].path;
		v[i].size = ents[i].size;
		v[i].mode = ents[i].mode;
		v[i].link = ents[i].link;
		memcpy(v[i].sha256, ents[i].sha256, SP_HEXLEN);
	}
	for (i = 0; i < nb; i++)
		if (sp_base_kept(base, i))
			v[n++] = bm->v[i];
	if (base)
		qsort(v, n, sizeof *v, bypath);
	s = sp_manifest_text(v, n, stamp, len, checksum);
	free(v);
	if (!s)
		sp_die(SP_EX_SOFTWARE, "cannot serialize the manifest");
	if (sp_manifest_parse(s, *len, LLONG_MAX, &m, why, sizeof why) != 0)
		sp_die(SP_EX_DATAERR, "cannot pack: %s", why);
	sp_manifest_free(&m);
	return s;
}

/* --base: open and verify the base, drop what the records replace and
 * what --remove names; the stamp covers the base's files too. */
static void
take_base(const char *path, const char *removes, long long *stamp)
{
	const struct sp_manifest *bm;
	struct sp_reader *in;
	char err[1024];
	const char *why;
	json_t *rec;
	size_t i;
	int t;

	if ((t = sp_base_open(path, LLONG_MAX, &base, err, sizeof err)))
		sp_die(t, "%s", err);
	for (i = 0; i < nents; i++)
		sp_base_drop(base, ents[i].path);
	if (removes) {
		in = sp_reader_open(removes);
		while ((rec = sp_reader_next(in))) {
			char *p;

			if (!strcmp(sp_record_type(rec), "file")) {
				if (!(p = sp_record_path(rec, &why)))
					sp_reader_die(in, "%s", why);
				sp_base_drop(base, p);
				free(p);
			}
			json_decref(rec);
		}
		sp_reader_close(in);
	}
	bm = sp_base_manifest(base);
	for (i = 0; i < bm->n; i++)
		kept += sp_base_kept(base, i);
	if (kept && sp_manifest_stamp(bm) > *stamp)
		*stamp = sp_manifest_stamp(bm);
}

/* Append ents[i], re-reading it below rootfd; dies 65 if it changed. */
static void
pack_one(struct sp_awriter *w, int rootfd, const char *dir, struct ent *e)
{
	char err[1024], hex[SP_HEXLEN], *name = sp_path_join(dir, e->path);
	struct stat st;
	int fd, t;

	if (e->link) {
		char target[PATH_MAX + 1];
		ssize_t n = -1;

		fd = sp_open_beneath(rootfd, e->path, O_PATH | O_NOFOLLOW);
		if (fd >= 0)
			n = readlinkat(fd, "", target, sizeof target - 1);
		if (fd < 0 || n < 0)
			sp_die_errno(errno == EINVAL || errno == ELOOP ? SP_EX_DATAERR : sp_ex_for_errno(errno),
			    "%s: cannot read the symlink", name);
		close(fd);
		target[n] = '\0';
		if (strcmp(target, e->link))
			sp_die(SP_EX_DATAERR, "%s: changed since sp-manifest ran (symlink target)", name);
		if ((t = sp_awriter_link(w, e->path, e->link, e->mtime, err, sizeof err)))
			sp_die(t, "%s", err);
		free(name);
		return;
	}
	fd = sp_open_beneath(rootfd, e->path, O_RDONLY | O_NONBLOCK);
	if (fd < 0)
		sp_die_errno(errno == ELOOP ? SP_EX_DATAERR : sp_ex_for_errno(errno), "%s", name);
	if (fstat(fd, &st) != 0)
		sp_die_errno(SP_EX_IOERR, "%s", name);
	if (!S_ISREG(st.st_mode))
		sp_die(SP_EX_DATAERR, "%s: not a regular file", name);
	if (st.st_size != e->size)
		sp_die(SP_EX_DATAERR, "%s: changed since sp-manifest ran (size %lld, record says %lld)",
		    name, (long long)st.st_size, e->size);
#ifdef POSIX_FADV_SEQUENTIAL
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
	if ((t = sp_awriter_file(w, e->path, e->mode, e->mtime, e->size, fd, name, hex, err, sizeof err)))
		sp_die(t, "%s", err);
	if (strcmp(hex, e->sha256))
		sp_die(SP_EX_DATAERR, "%s: changed since sp-manifest ran (SHA-256 differs)", name);
	close(fd);
	free(name);
}

int
main(int argc, char **argv)
{
	enum { OPT_BASE = 256, OPT_REMOVE, OPT_HAVE };
	static const struct option lopts[] = {
		{"base", required_argument, NULL, OPT_BASE},
		{"remove", required_argument, NULL, OPT_REMOVE},
		{"have", required_argument, NULL, OPT_HAVE},
		SP_STD_LONGOPTS, {0}};
	const char *out = NULL, *dir = ".", *sde, *basepath = NULL, *removes = NULL, *havepath = NULL;
	struct sp_atomic at = {0};
	struct sp_awriter *w;
	struct sp_reader *in;
	char checksum[SP_HEXLEN], msum[SP_HEXLEN], hex[SP_HEXLEN], err[1024], *mtext;
	long long stamp = 0, size;
	int c, level = 6, jobs = sp_ncpu(), rootfd, fd, t;
	size_t mlen, i;
	json_t *rec;

	sp_setprog(argv[0]);
	while ((c = getopt_long(argc, argv, "ho:C:l:j:", lopts, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 'C': dir = optarg; break;
		case 'l': level = (int)sp_parse_num("-l", optarg, 0, 9); break;
		case 'j': jobs = (int)sp_parse_num("-j", optarg, 1, 256); break;
		case OPT_BASE: basepath = optarg; break;
		case OPT_REMOVE: removes = optarg; break;
		case OPT_HAVE: havepath = optarg; break;
		case 'h': sp_help(usage);
		case 'V': sp_version();
		default: sp_usage_die(usage, NULL);
		}
	}
	if (!out)
		sp_usage_die(usage, "-o FILE is required");
	if (argc - optind > 1)
		sp_usage_die(usage, "too many arguments");
	if (removes && !basepath)
		sp_usage_die(usage, "--remove needs --base");
	if (havepath && basepath)
		sp_usage_die(usage, "--have and --base do not go together");
	if (havepath)
		have = sp_have_read(havepath);

	rootfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		sp_die_errno(sp_ex_for_errno(errno), "%s", dir);
	in = sp_reader_open(optind < argc ? argv[optind] : NULL);
	while ((rec = sp_reader_next(in))) {
		if (!strcmp(sp_record_type(rec), "file"))
			take(in, rec, &stamp);
		json_decref(rec);
	}
	sp_reader_close(in);
	if (basepath)
		take_base(basepath, removes, &stamp);
	if ((sde = getenv("SOURCE_DATE_EPOCH")) && *sde)
		stamp = sp_parse_num("SOURCE_DATE_EPOCH", sde, 0, 253402300799LL);
	mtext = manifest(stamp, &mlen, checksum);
	if ((long long)mlen > SP_MANIFEST_MAX)
		sp_die(SP_EX_DATAERR, "too many files for one archive: the manifest would take %zu bytes, over %lld",
		    mlen, SP_MANIFEST_MAX);
	sp_sha256_hex(mtext, mlen, msum);

	fd = strcmp(out, "-") ? fileno(sp_atomic_open(&at, out, 0644)) : STDOUT_FILENO;
	w = sp_awriter_new(fd, level, jobs);
	if ((t = sp_awriter_buf(w, SP_MANIFEST_NAME, 0644, stamp, mtext, mlen, err, sizeof err)))
		sp_die(t, "%s", err);
	for (i = 0; i < nents; i++) {
		unsigned mode = 0;
		const char *hex = have && !ents[i].link ? sp_have_at(have, ents[i].path, &mode) : NULL;

		/* the far side has it as it is: the manifest lists it, no bytes go */
		if (hex && !strcmp(hex, ents[i].sha256) && (mode & 0777) == (ents[i].mode & 0777)) {
			skipped++;
			continue;
		}
		pack_one(w, rootfd, dir, &ents[i]);
	}
	if (base && (t = sp_base_copy(base, w, err, sizeof err)))
		sp_die(t, "%s: %s", basepath, err);
	if ((t = sp_awriter_close(w, hex, &size, err, sizeof err)))
		sp_die(t, "%s: %s", out, err);
	close(rootfd);
	free(mtext);
	if (strcmp(out, "-")) {
		sp_atomic_commit(&at);
		rec = json_object();
		json_object_set_new(rec, "type", json_string("archive"));
		json_object_set_new(rec, "path", json_string(out));
		json_object_set_new(rec, "size", json_integer(size));
		json_object_set_new(rec, "sha256", json_string(hex));
		json_object_set_new(rec, "manifest_sha256", json_string(msum));
		json_object_set_new(rec, "files", json_integer((json_int_t)(nents + kept)));
		if (base)
			json_object_set_new(rec, "from_base", json_integer((json_int_t)kept));
		if (havepath)
			json_object_set_new(rec, "left_out", json_integer((json_int_t)skipped));
		sp_emit(rec);
	}
	for (i = 0; i < nents; i++) {
		free(ents[i].path);
		free(ents[i].link);
	}
	free(ents);
	sp_have_free(have);
	sp_base_free(base);
	sp_finish_stdout();
	return 0;
}
