/* recjoin.c - the join of two keyed record streams behind sp-diff. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/err.h"
#include "core/path.h"
#include "diff/recjoin.h"

static const char *const status_name[] = {"added", "removed", "modified", "unchanged"};

struct stored {
	int side;
	unsigned long lineno;
	char hex[SP_HEXLEN];
	size_t len;
	char line[];
};

void
sp_join_init(struct sp_join *j, int all, int emit, const char *left, const char *right)
{
	memset(j, 0, sizeof *j);
	sp_keytab_init(&j->tab);
	sp_keyset_init(&j->seen[SP_LEFT]);
	sp_keyset_init(&j->seen[SP_RIGHT]);
	j->all = all;
	j->emit = emit;
	j->name[SP_LEFT] = left;
	j->name[SP_RIGHT] = right;
}

/* Write the outcome st for key; ll/rl are the two sides' lines (or NULL). */
static void
out(struct sp_join *j, int st, const char *key, const char *lh, const char *rh, const char *ll,
    size_t llen, const char *rl, size_t rlen)
{
	const char *line = st == SP_REMOVED ? rl : ll;
	size_t len = st == SP_REMOVED ? rlen : llen;
	json_t *d;
	char *s;

	j->count[st]++;
	if (st != SP_UNCHANGED && j->key_limit && json_array_size(j->keys[st]) < j->key_limit) {
		json_t *k = json_object();
		sp_record_set_name(k, "key", key);	/* lossy text for a name that is not UTF-8 */
		json_array_append(j->keys[st], json_object_get(k, "key"));
		json_decref(k);
	}
	if (st == SP_UNCHANGED && !j->all)
		return;
	if (j->emit >= 0) {
		if (j->emit == SP_LEFT && st != SP_REMOVED)
			line = ll, len = llen;
		else if (j->emit == SP_RIGHT && st != SP_ADDED)
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
	if (!s)
		sp_die(SP_EX_SOFTWARE, "cannot serialise a diff record");
	s[strlen(s) - 1] = '\0';	/* drop "}": the record follows */
	if (printf("%s,\"record\":%.*s}\n", s, (int)len, line) < 0)
		sp_die_errno(SP_EX_IOERR, "write error");
	free(s);
}

/* Settle a record that can have no partner. */
static void
alone(struct sp_join *j, int s, const char *key, const char *hex, const char *line, size_t len)
{
	if (s == SP_LEFT)
		out(j, SP_ADDED, key, hex, NULL, line, len, NULL, 0);
	else
		out(j, SP_REMOVED, key, NULL, hex, NULL, 0, line, len);
}

void
sp_join_add(struct sp_join *j, int s, const char *key, size_t keylen,
    const char hex[SP_HEXLEN], const char *line, size_t len, unsigned long lineno)
{
	struct sp_kent *e;
	struct stored *o;
	unsigned long first = sp_keyset_add(&j->seen[s], key, keylen, lineno ? lineno : 1);

	if (first)
		sp_die(SP_EX_DATAERR, "%s:%lu: key \"%s\" already at line %lu", j->name[s],
		    lineno, key, first);
	if ((e = sp_keytab_find(&j->tab, key, keylen))) {
		o = e->val;
		int st = strcmp(hex, o->hex) ? SP_MODIFIED : SP_UNCHANGED;
		if (s == SP_LEFT)
			out(j, st, key, hex, o->hex, line, len, o->line, o->len);
		else
			out(j, st, key, o->hex, hex, o->line, o->len, line, len);
		free(o);
		sp_keytab_del(&j->tab, e);
	} else if (j->done[!s]) {
		alone(j, s, key, hex, line, len);
	} else {
		o = sp_malloc(sizeof *o + len + 1);
		o->side = s;
		o->lineno = lineno;
		memcpy(o->hex, hex, SP_HEXLEN);
		o->len = len;
		memcpy(o->line, line, len);
		o->line[len] = '\0';
		sp_keytab_add(&j->tab, key, keylen, o);
	}
}

void
sp_join_end(struct sp_join *j, int s)
{
	struct sp_kent *e, *next;

	j->done[s] = 1;
	for (e = j->tab.head; e; e = next) {
		struct stored *o = e->val;

		next = e->next;
		if (o->side == s)
			continue;
		alone(j, o->side, e->key, o->hex, o->line, o->len);
		free(o);
		sp_keytab_del(&j->tab, e);
	}
}

void
sp_join_free(struct sp_join *j)
{
	for (struct sp_kent *e = j->tab.head; e; e = e->next)
		free(e->val);
	sp_keytab_free(&j->tab);
	sp_keyset_free(&j->seen[SP_LEFT]);
	sp_keyset_free(&j->seen[SP_RIGHT]);
	for (int i = 0; i < 3; i++)
		json_decref(j->keys[i]);
}

void
sp_join_keep_keys(struct sp_join *j, size_t limit)
{
	j->key_limit = limit;
	for (int i = 0; i < 3; i++)
		if (!j->keys[i])
			j->keys[i] = json_array();
}

json_t *
sp_join_summary(struct sp_join *j)
{
	json_t *keys = json_object();
	int cut = 0;

	for (int i = 0; i < 3; i++) {
		json_object_set(keys, status_name[i], j->keys[i] ? j->keys[i] : json_array());
		cut |= j->count[i] > json_array_size(j->keys[i]);
	}
	return json_pack("{s:s, s:I, s:I, s:I, s:I, s:o, s:b}", "type", "summary",
	    "added", (json_int_t)j->count[SP_ADDED], "removed", (json_int_t)j->count[SP_REMOVED],
	    "modified", (json_int_t)j->count[SP_MODIFIED], "unchanged", (json_int_t)j->count[SP_UNCHANGED],
	    "keys", keys, "keys_truncated", cut);
}
