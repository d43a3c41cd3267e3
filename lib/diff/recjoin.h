/* recjoin.h - the join of two keyed record streams behind sp-diff: keeps
 * a record only until its partner arrives, writes diff records or the
 * raw records of one side. */
#ifndef SP_RECJOIN_H
#define SP_RECJOIN_H

#include <stddef.h>
#include <jansson.h>

#include "core/hash.h"
#include "diff/keyset.h"
#include "core/keytab.h"

enum { SP_LEFT, SP_RIGHT };
enum { SP_ADDED, SP_REMOVED, SP_MODIFIED, SP_UNCHANGED };

struct sp_join {
	struct sp_keytab tab;	/* records still waiting for a partner */
	struct sp_keyset seen[2];	/* every key of each side so far */
	int done[2];		/* that side has ended */
	int all;		/* also write unchanged keys */
	int emit;		/* -1: diff records; SP_LEFT/SP_RIGHT: raw records */
	const char *name[2];	/* input names for messages */
	unsigned long count[4];	/* per status */
	size_t key_limit;	/* keys kept per status for the summary (0: none) */
	json_t *keys[3];	/* added, removed, modified: the first key_limit */
};

/* Start a join writing to stdout. */
void sp_join_init(struct sp_join *j, int all, int emit, const char *left, const char *right);

/* Take one record of side s: key[0..keylen), its hash, the raw line and
 * its line number. Writes the outcome when the key is settled (partner
 * found, or the other side has ended), else keeps the record. Dies 65 on
 * a key repeated on one side while its first record waits, 74 on a
 * write error. */
void sp_join_add(struct sp_join *j, int s, const char *key, size_t keylen,
    const char hex[SP_HEXLEN], const char *line, size_t len, unsigned long lineno);

/* Side s has ended: every record the other side keeps is settled
 * (added or removed) and written, in the order read. */
void sp_join_end(struct sp_join *j, int s);

/* Keep the first limit keys of each status but unchanged, for
 * sp_join_summary. */
void sp_join_keep_keys(struct sp_join *j, size_t limit);

/* The summary record, after both sides ended: {"type":"summary","added":N,
 * "removed":N,"modified":N,"unchanged":N,"keys":{"added":[…],"removed":[…],
 * "modified":[…]},"keys_truncated":BOOL} (caller decrefs). */
json_t *sp_join_summary(struct sp_join *j);

/* Free what is left. */
void sp_join_free(struct sp_join *j);

#endif
