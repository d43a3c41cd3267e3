/* sp-manifest - add the SHA-256 of each file to its record, in parallel. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "archive/statcache.h"
#include "core/cli.h"
#include "core/err.h"
#include "core/fsutil.h"
#include "core/hash.h"
#include "core/path.h"
#include "core/pmap.h"
#include "rec/ndjson.h"

static const char usage[] =
    "usage: sp-manifest [-C DIR] [-j N] [--cache FILE] [FILE]\n"
    "       sp-manifest --check DIR [-j N] [FILE]\n"
    "Read file records (FILE or stdin), add \"sha256\" to each from the file\n"
    "below DIR, and write them in the same order.\n"
    "  -C DIR         paths are relative to DIR (default .)\n"
    "  -j N           hash N files at once (default: number of CPUs)\n"
    "  --cache FILE   stat cache: unchanged files are not read again\n"
    "  --check DIR    verify records against DIR; list every mismatch, exit 65\n";

struct item {
	json_t *rec;
	char *path;		/* NULL: not a file record, passed through */
	struct sp_centry cached;	/* candidate from the stat cache */
	int have_cached, from_cache;
	int err;		/* errno of a failure */
	const char *why;	/* or a reason */
	char hex[SP_HEXLEN];
	long long size;
	char *link;		/* target, when the path is a symlink */
	struct stat st;
};

struct ctx {
	struct sp_reader *in;
	const char *dir;
	int rootfd;
	int check;
	unsigned long failed, total;
	struct sp_statcache *cache;
};

static void *
produce(void *vctx)
{
	struct ctx *x = vctx;
	struct item *it;
	const char *why;
	json_t *rec;

	rec = sp_reader_next(x->in);
	if (!rec)
		return NULL;
	it = sp_calloc(1, sizeof *it);
	it->rec = rec;
	if (strcmp(sp_record_type(rec), "file"))
		return it;
	if (!(it->path = sp_record_path(rec, &why)))
		sp_reader_die(x->in, "%s", why);
	if ((why = sp_path_unsafe(it->path, 0)))
		sp_reader_die(x->in, "unsafe path: %s", why);
	if (x->check) {
		const char *h = json_string_value(json_object_get(rec, "sha256"));
		if (!h || !sp_is_sha256(h))
			sp_reader_die(x->in, "%s: record has no valid \"sha256\"", it->path);
	}
	if (x->cache)
		it->have_cached = sp_statcache_find(x->cache, it->path, &it->cached);
	return it;
}

/* Each worker reads through a buffer of its own. */
static void *
buf_new(void *vctx)
{
	(void)vctx;
	return sp_malloc(SP_HASH_BUFSZ);
}

static void
work(void *v, void *vctx, void *tbuf)
{
	struct ctx *x = vctx;
	struct item *it = v;
	int fd;

	if (!it->path)
		return;
	/* A cache hit costs one stat: the same inode with the same size and
	 * timestamps is the file we hashed before. */
	if (it->have_cached && fstatat(x->rootfd, it->path, &it->st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISREG(it->st.st_mode) && sp_statcache_fresh(&it->cached, &it->st)) {
		memcpy(it->hex, it->cached.sha256, SP_HEXLEN);
		it->size = it->st.st_size;
		it->from_cache = 1;
		return;
	}
	fd = sp_open_beneath(x->rootfd, it->path, O_RDONLY | O_NONBLOCK);
	if (fd < 0 && errno == ELOOP) {
		/* a symlink: its hash is the hash of its target */
		char target[4097];
		ssize_t n;

		fd = sp_open_beneath(x->rootfd, it->path, O_PATH | O_NOFOLLOW);
		if (fd < 0) {
			it->err = errno;
			it->why = errno == ELOOP ? "path goes through a symlink" : NULL;
			return;
		}
		n = readlinkat(fd, "", target, sizeof target - 1);
		if (n < 0) {
			it->err = errno;
		} else {
			target[n] = '\0';
			it->link = sp_strdup(target);
			sp_sha256_hex(target, (size_t)n, it->hex);
		}
		close(fd);
		return;
	}
	if (fd < 0 || fstat(fd, &it->st) != 0) {
		it->err = errno;
		if (fd >= 0)
			close(fd);
		return;
	}
	if (!S_ISREG(it->st.st_mode)) {
		it->why = "not a regular file or symlink";
		close(fd);
		return;
	}
	it->size = sp_sha256_fd(fd, (long long)it->st.st_size, tbuf, SP_HASH_BUFSZ, it->hex);
	if (it->size < 0)
		it->err = errno;
	close(fd);
}

static void
consume(void *v, void *vctx)
{
	struct ctx *x = vctx;
	struct item *it = v;

	if (it->path)
		x->total++;
	if (it->path && (it->err || it->why)) {
		const char *why = it->why ? it->why : strerror(it->err);
		int code = it->why ? SP_EX_DATAERR : it->err == ENOENT || it->err == EACCES ||
		    it->err == ENOTDIR ? SP_EX_NOINPUT : SP_EX_IOERR;
		if (!x->check)
			sp_die(code, "%s/%s: %s", x->dir, it->path, why);
		sp_warn("%s/%s: %s", x->dir, it->path, why);
		x->failed++;
	} else if (it->path && x->check) {
		const char *want = json_string_value(json_object_get(it->rec, "sha256"));
		json_t *sz = json_object_get(it->rec, "size");

		if (strcmp(want, it->hex)) {
			sp_warn("%s/%s: checksum mismatch", x->dir, it->path);
			x->failed++;
		} else if (!it->link && json_is_integer(sz) && json_integer_value(sz) != it->size) {
			sp_warn("%s/%s: size mismatch", x->dir, it->path);
			x->failed++;
		}
	} else if (it->path) {
		json_object_set_new(it->rec, "sha256", json_string(it->hex));
		if (it->link) {
			sp_record_set_name(it->rec, "link", it->link);
		} else {
			if (json_object_get(it->rec, "link"))
				sp_die(SP_EX_DATAERR, "%s/%s: was a symlink when collected, is a file now", x->dir, it->path);
			json_object_set_new(it->rec, "size", json_integer(it->size));
			if (x->cache)
				sp_statcache_add(x->cache, it->path, &it->st, it->hex, it->from_cache);
		}
	}
	if (!x->check)
		sp_write_record(stdout, it->rec);
	json_decref(it->rec);
	free(it->path);
	free(it->link);
	free(it);
}

int
main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{"cache", required_argument, NULL, 'c'},
		{"check", required_argument, NULL, 'k'},
		SP_STD_LONGOPTS,
		{0},
	};
	static const struct sp_pmap_ops ops = {produce, work, consume, buf_new, free};
	struct ctx x = {.dir = "."};
	const char *cachefile = NULL;
	int c, jobs = sp_ncpu();

	sp_setprog(argv[0]);
	while ((c = getopt_long(argc, argv, "hC:j:", lopts, NULL)) != -1) {
		switch (c) {
		case 'C':
			x.dir = optarg;
			break;
		case 'j':
			jobs = (int)sp_parse_num("-j", optarg, 1, 256);
			break;
		case 'c':
			cachefile = optarg;
			break;
		case 'k':
			x.dir = optarg;
			x.check = 1;
			break;
		case 'h':
			sp_help(usage);
		case 'V':
			sp_version();
		default:
			sp_usage_die(usage, NULL);
		}
	}
	if (argc - optind > 1)
		sp_usage_die(usage, "too many arguments");
	if (x.check && cachefile)
		sp_usage_die(usage, "--check reads every file; it does not take --cache");

	x.rootfd = open(x.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (x.rootfd < 0)
		sp_die_errno(sp_ex_for_errno(errno), "%s", x.dir);
	x.in = sp_reader_open(optind < argc ? argv[optind] : NULL);
	if (cachefile)
		x.cache = sp_statcache_open(cachefile);
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	sp_pmap_run(&ops, &x, jobs, 16 * (size_t)jobs + 64);
	if (x.cache)
		sp_statcache_commit(x.cache);
	sp_reader_close(x.in);
	close(x.rootfd);
	if (x.check && x.failed)
		sp_die(SP_EX_DATAERR, "%lu of %lu files failed verification in %s", x.failed, x.total, x.dir);
	sp_finish_stdout();
	return 0;
}
