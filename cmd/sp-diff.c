/* sp-diff - compare two record streams by key, like diff(1) for records. */
#include <errno.h>
#include <getopt.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cli.h"
#include "core/err.h"
#include "core/pmap.h"
#include "diff/recjoin.h"
#include "diff/reckey.h"
#include "rec/ndjson.h"

static const char usage[] =
    "usage: sp-diff [-a] [--emit left|right] [--filter GLOB]... [-j N] LEFT RIGHT\n"
    "Join two streams of file or row records by key (file: path; row: table\n"
    "and id) and compare them by sha256 / recomputed content_hash. Writes a\n"
    "diff record per key: added (LEFT only), removed (RIGHT only), modified.\n"
    "Exit 0 when they are the same, 1 when they differ. \"-\" is stdin.\n"
    "  -a, --all          also write unchanged keys\n"
    "  -e, --emit SIDE    write the raw records of SIDE instead of diff records:\n"
    "                     left: added and modified; right: removed and modified\n"
    "  -f, --filter GLOB  compare only records matching GLOB (path, table,\n"
    "                     skill_id, source_id, source_id/slug; repeatable)\n"
    "  -s, --summary      end the output with a summary record: the counts, and\n"
    "                     the keys of each status but unchanged (at most N,\n"
    "                     --summary-keys N, default 1000)\n"
    "  -j N               parse and hash with N threads (default: CPUs)\n";

enum { LEFT = SP_LEFT, RIGHT = SP_RIGHT };

struct rec {
	unsigned long lineno;
	char *line;
	size_t len;
	char *key;
	size_t keylen;
	char hex[SP_HEXLEN];
	const char *why;
	int keep;
};

#define BATCH 512

/* Up to BATCH records of one side, or the end-of-side marker. */
struct batch {
	int side, eof;
	size_t n;
	struct rec r[BATCH];
};

struct ctx {
	FILE *in[2];
	const char *name[2];
	unsigned long lineno[2];
	int eof_read[2], turn;
	char *buf;
	size_t cap;
	int all, emit;		/* emit: -1 diff records, else the side */
	const char **filters;
	int nfilters;
	struct sp_join join;
};

static void *
produce(void *vx)
{
	struct ctx *x = vx;
	struct batch *b;
	ssize_t n;
	int s;

	if (x->eof_read[LEFT] && x->eof_read[RIGHT])
		return NULL;
	s = x->turn;
	if (x->eof_read[s])
		s = !s;
	x->turn = !s;
	b = sp_malloc(sizeof *b);
	b->side = s;
	b->eof = 0;
	b->n = 0;
	while (b->n < BATCH) {
		struct rec *it = &b->r[b->n];

		errno = 0;
		n = sp_getline_max(&x->buf, &x->cap, x->in[s], SP_RECORD_MAX);
		if (n == -2)
			sp_die(SP_EX_DATAERR, "%s:%lu: a record over %d MiB", x->name[s], x->lineno[s] + 1,
			    (int)(SP_RECORD_MAX >> 20));
		if (n < 0) {
			if (ferror(x->in[s]))
				sp_die_errno(SP_EX_IOERR, "%s: read error", x->name[s]);
			x->eof_read[s] = 1;
			b->eof = 1;
			break;
		}
		x->lineno[s]++;
		while (n > 0 && (x->buf[n - 1] == '\n' || x->buf[n - 1] == '\r'))
			n--;
		if (n == 0)
			continue;
		memset(it, 0, sizeof *it);
		it->lineno = x->lineno[s];
		it->line = sp_malloc((size_t)n + 1);
		memcpy(it->line, x->buf, (size_t)n);
		it->line[n] = '\0';
		it->len = (size_t)n;
		b->n++;
	}
	return b;
}

static void
work_one(struct ctx *x, struct rec *it, char *why, size_t whylen)
{
	json_t *rec;
	int r;

	if (!(rec = sp_record_parse(it->line, it->len, why, whylen))) {
		it->why = why;
		return;
	}
	r = sp_record_keyhash(rec, &it->key, &it->keylen, it->hex, &it->why);
	it->keep = r == 1;
	for (int i = 0; it->keep && x->nfilters && i < x->nfilters; i++) {
		if (sp_record_matches(rec, x->filters[i]))
			break;
		if (i == x->nfilters - 1)
			it->keep = 0;
	}
	json_decref(rec);
}

static void
work(void *v, void *vx, void *tls)
{
	struct batch *b = v;
	static __thread char why[256];

	(void)tls;
	for (size_t i = 0; i < b->n; i++) {
		work_one(vx, &b->r[i], why, sizeof why);
		if (b->r[i].why)
			break;	/* consume dies on it */
	}
}

static void
consume(void *v, void *vx)
{
	struct ctx *x = vx;
	struct batch *b = v;

	for (size_t i = 0; i < b->n; i++) {
		struct rec *it = &b->r[i];

		if (it->why)
			sp_die(SP_EX_DATAERR, "%s:%lu: %s", x->name[b->side], it->lineno, it->why);
		if (it->keep)
			sp_join_add(&x->join, b->side, it->key, it->keylen, it->hex, it->line, it->len,
			    it->lineno);
		free(it->line);
		free(it->key);
	}
	if (b->eof)
		sp_join_end(&x->join, b->side);	/* the other side's waiting records are settled */
	free(b);
}

static FILE *
open_in(const char *path)
{
	FILE *fp;

	if (!strcmp(path, "-"))
		return stdin;
	if (!(fp = fopen(path, "r")))
		sp_die_errno(sp_ex_for_errno(errno), "%s", path);
	return fp;
}

int
main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{"all", no_argument, NULL, 'a'},
		{"emit", required_argument, NULL, 'e'},
		{"filter", required_argument, NULL, 'f'},
		{"summary", no_argument, NULL, 's'},
		{"summary-keys", required_argument, NULL, 'K'},
		SP_STD_LONGOPTS,
		{0},
	};
	static const struct sp_pmap_ops ops = {produce, work, consume, NULL, NULL};
	struct ctx x = {.emit = -1};
	int c, jobs = sp_ncpu(), summary = 0;
	size_t nkeys = 1000;

	sp_setprog(argv[0]);
	/* Dying (bad input) while workers hash must not run OpenSSL's exit-time
	 * cleanup under them. */
	OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT, NULL);
	x.filters = sp_calloc((size_t)argc, sizeof *x.filters);
	while ((c = getopt_long(argc, argv, "hae:f:j:s", lopts, NULL)) != -1) {
		switch (c) {
		case 'a':
			x.all = 1;
			break;
		case 'e':
			if (!strcmp(optarg, "left"))
				x.emit = LEFT;
			else if (!strcmp(optarg, "right"))
				x.emit = RIGHT;
			else
				sp_usage_die(usage, "--emit takes left or right");
			break;
		case 'f':
			x.filters[x.nfilters++] = optarg;
			break;
		case 'j':
			jobs = (int)sp_parse_num("-j", optarg, 1, 256);
			break;
		case 's':
			summary = 1;
			break;
		case 'K':
			nkeys = (size_t)sp_parse_num("--summary-keys", optarg, 0, 100000000);
			summary = 1;
			break;
		case 'h':
			sp_help(usage);
		case 'V':
			sp_version();
		default:
			sp_usage_die(usage, NULL);
		}
	}
	if (argc - optind != 2)
		sp_usage_die(usage, "expected two inputs, LEFT and RIGHT");
	x.name[LEFT] = argv[optind];
	x.name[RIGHT] = argv[optind + 1];
	if (!strcmp(x.name[LEFT], "-") && !strcmp(x.name[RIGHT], "-"))
		sp_usage_die(usage, "only one input can be stdin");
	x.in[LEFT] = open_in(x.name[LEFT]);
	x.in[RIGHT] = open_in(x.name[RIGHT]);
	sp_join_init(&x.join, x.all, x.emit, x.name[LEFT], x.name[RIGHT]);
	if (summary)
		sp_join_keep_keys(&x.join, nkeys ? nkeys : 1);
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	sp_pmap_run(&ops, &x, jobs, 4 * (size_t)jobs + 4);
	if (summary) {
		json_t *sum = sp_join_summary(&x.join);
		if (!nkeys) {	/* counts only */
			json_object_del(sum, "keys");
			json_object_del(sum, "keys_truncated");
		}
		sp_emit(sum);
	}
	sp_join_free(&x.join);
	for (int s = LEFT; s <= RIGHT; s++)
		if (x.in[s] != stdin)
			fclose(x.in[s]);
	free(x.buf);
	free(x.filters);
	fprintf(stderr, "%s: %lu added, %lu removed, %lu modified, %lu unchanged\n", sp_prog,
	    x.join.count[SP_ADDED], x.join.count[SP_REMOVED], x.join.count[SP_MODIFIED],
	    x.join.count[SP_UNCHANGED]);
	sp_finish_stdout();
	return x.join.count[SP_ADDED] || x.join.count[SP_REMOVED] || x.join.count[SP_MODIFIED] ?
	    SP_EX_DIFF : 0;
}
