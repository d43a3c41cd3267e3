/* keyset.h - a map of byte-string keys, kept as 128-bit digests, to a
 * nonzero number (24 bytes a key, whatever its length), to notice a key
 * seen before and say where (sp-diff). */
#ifndef SP_KEYSET_H
#define SP_KEYSET_H

#include <stddef.h>

struct sp_keyset {
	unsigned long long *v;	/* pairs; (0, 0) is an empty slot */
	unsigned long *val;	/* the number of each slot */
	size_t cap, n;		/* cap slots (a power of two), n used */
};

/* An empty set. */
void sp_keyset_init(struct sp_keyset *s);

/* Add key[0..n) with the number val (not 0): 0 when it is new, else the
 * number it was added with before (two different keys share a digest
 * with odds of about n^2 / 2^129). */
unsigned long sp_keyset_add(struct sp_keyset *s, const char *key, size_t n, unsigned long val);

/* Free the set's memory. */
void sp_keyset_free(struct sp_keyset *s);

#endif
