/* keytab.h - a hash table of byte-string keys that remembers insertion
 * order, for joining two record streams (sp-diff) and checking archive names. */
#ifndef SP_KEYTAB_H
#define SP_KEYTAB_H

#include <stddef.h>

struct sp_kent {
	struct sp_kent *chain;		/* next in the bucket */
	struct sp_kent *prev, *next;	/* insertion order */
	unsigned long long h;
	size_t keylen;
	void *val;			/* the caller's */
	char key[];			/* keylen bytes and a NUL */
};

struct sp_keytab {
	struct sp_kent **b;
	size_t nb, n;
	struct sp_kent *head, *tail;
};

/* An empty table. */
void sp_keytab_init(struct sp_keytab *t);

/* The entry with this key, or NULL. */
struct sp_kent *sp_keytab_find(struct sp_keytab *t, const char *key, size_t keylen);

/* Add a new entry (the key must not be there yet) and return it. */
struct sp_kent *sp_keytab_add(struct sp_keytab *t, const char *key, size_t keylen, void *val);

/* Unlink and free entry e (not its val). */
void sp_keytab_del(struct sp_keytab *t, struct sp_kent *e);

/* Free every entry (not the vals) and the table's memory. */
void sp_keytab_free(struct sp_keytab *t);

#endif
