/* sp-diff - compare two record streams by key, like diff(1) for records. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "err.h"
#include "keytab.h"
#include "ndjson.h"
#include "path.h"
#include "pmap.h"
#include "reckey.h"

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
    "  -j N               parse and hash with N threads (default: CPUs)\n";

enum { LEFT, RIGHT };

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

struct stored {
	int side;
	unsigned long lineno;
	char hex[SP_HEXLEN];
	size_t len;
	char line[];
};

struct ctx {
	FILE *in[2];
	const char *name[2];
	unsigned long lineno[2];
	int eof_read[2], eof_seen[2], turn;
	char *buf;
	size_t cap;
	int all, emit;		/* emit: -1 diff records, else the side */
	const char **filters;
	int nfilters;
	struct sp_keytab tab;
	unsigned long count[4];
};

enum { ADDED, REMOVED, MODIFIED, UNCHANGED };
static const char *const status_name[] = {"added", "removed", "modified", "unchanged"};

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
		n = getline(&x->buf, &x->cap, x->in[s]);
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

/* Write the outcome for key: lt/rt are the two sides' lines (or NULL). */
static void
out(struct ctx *x, int st, const char *key, const char *lh, const char *rh, const char *ll,
    size_t llen, const char *rl, size_t rlen)
{
	const char *line = st == REMOVED ? rl : ll;
	size_t len = st == REMOVED ? rlen : llen;
	json_t *d;
	char *s;

	x->count[st]++;
	if (st == UNCHANGED && !x->all)
		return;
	if (x->emit >= 0) {
		if (x->emit == LEFT && (st == ADDED || st == MODIFIED || st == UNCHANGED))
			line = ll, len = llen;
		else if (x->emit == RIGHT && (st == REMOVED || st == MODIFIED || st == UNCHANGED))
			line = rl, len = rlen;
		else
			return;
		fwrite(line, 1, len, stdout);
		if (putchar('\n') == EOF)
			sp_die_errno(SP_EX_IOERR, "write error");
		return;
	}
	d = json_object();
	json_object_set_new(d, "type", json_string("diff"));
	json_object_set_new(d, "status", json_string(status_name[st]));
	sp_record_set_name(d, "key", key);
	json_object_set_new(d, "left_hash", lh ? json_string(lh) : json_null());
	json_object_set_new(d, "right_hash", rh ? json_string(rh) : json_null());
	s = json_dumps(d, JSON_COMPACT);
	json_decref(d);
	s[strlen(s) - 1] = '\0';	/* drop "}": the record follows */
	if (printf("%s,\"record\":%.*s}\n", s, (int)len, line) < 0)
		sp_die_errno(SP_EX_IOERR, "write error");
	free(s);
}

/* Write and forget every stored record of side s, in the order read. */
static void
flush(struct ctx *x, int s)
{
	struct sp_kent *e, *next;

	for (e = x->tab.head; e; e = next) {
		struct stored *o = e->val;

		next = e->next;
		if (o->side != s)
			continue;
		if (s == LEFT)
			out(x, ADDED, e->key, o->hex, NULL, o->line, o->len, NULL, 0);
		else
			out(x, REMOVED, e->key, NULL, o->hex, NULL, 0, o->line, o->len);
		free(o);
		sp_keytab_del(&x->tab, e);
	}
}

static void
consume_one(struct ctx *x, int s, struct rec *it)
{
	struct sp_kent *e;
	struct stored *o;

	if (it->why)
		sp_die(SP_EX_DATAERR, "%s:%lu: %s", x->name[s], it->lineno, it->why);
	if (!it->keep)
		return;
	e = sp_keytab_find(&x->tab, it->key, it->keylen);
	if (e) {
		o = e->val;
		if (o->side == s)
			sp_die(SP_EX_DATAERR, "%s:%lu: key \"%s\" already at line %lu", x->name[s],
			    it->lineno, it->key, o->lineno);
		if (s == LEFT)
			out(x, strcmp(it->hex, o->hex) ? MODIFIED : UNCHANGED, it->key, it->hex, o->hex,
			    it->line, it->len, o->line, o->len);
		else
			out(x, strcmp(it->hex, o->hex) ? MODIFIED : UNCHANGED, it->key, o->hex, it->hex,
			    o->line, o->len, it->line, it->len);
		free(o);
		sp_keytab_del(&x->tab, e);
	} else if (x->eof_seen[!s]) {
		if (s == LEFT)
			out(x, ADDED, it->key, it->hex, NULL, it->line, it->len, NULL, 0);
		else
			out(x, REMOVED, it->key, NULL, it->hex, NULL, 0, it->line, it->len);
	} else {
		o = sp_malloc(sizeof *o + it->len + 1);
		o->side = s;
		o->lineno = it->lineno;
		memcpy(o->hex, it->hex, SP_HEXLEN);
		o->len = it->len;
		memcpy(o->line, it->line, it->len + 1);
		sp_keytab_add(&x->tab, it->key, it->keylen, o);
	}
}

static void
consume(void *v, void *vx)
{
	struct ctx *x = vx;
	struct batch *b = v;

	for (size_t i = 0; i < b->n; i++) {
		consume_one(x, b->side, &b->r[i]);
		free(b->r[i].line);
		free(b->r[i].key);
	}
	if (b->eof) {
		/* what the other side kept can no longer find a partner */
		x->eof_seen[b->side] = 1;
		flush(x, !b->side);
	}
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
		SP_STD_LONGOPTS,
		{0},
	};
	static const struct sp_pmap_ops ops = {produce, work, consume, NULL, NULL};
	struct ctx x = {.emit = -1};
	int c, jobs = sp_ncpu();

	sp_setprog(argv[0]);
	x.filters = sp_calloc((size_t)argc, sizeof *x.filters);
	while ((c = getopt_long(argc, argv, "hae:f:j:", lopts, NULL)) != -1) {
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
	sp_keytab_init(&x.tab);
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	sp_pmap_run(&ops, &x, jobs, 4 * (size_t)jobs + 4);
	sp_keytab_free(&x.tab);
	for (int s = LEFT; s <= RIGHT; s++)
		if (x.in[s] != stdin)
			fclose(x.in[s]);
	free(x.buf);
	free(x.filters);
	fprintf(stderr, "sp-diff: %lu added, %lu removed, %lu modified, %lu unchanged\n",
	    x.count[ADDED], x.count[REMOVED], x.count[MODIFIED], x.count[UNCHANGED]);
	sp_finish_stdout();
	return x.count[ADDED] || x.count[REMOVED] || x.count[MODIFIED] ? SP_EX_DIFF : 0;
}
