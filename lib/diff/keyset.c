/* keyset.c - a set of keys as 128-bit digests, open addressing. */
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "diff/keyset.h"

/* Two independent 64-bit hashes of k: FNV-1a and a multiply-xorshift
 * over 8-byte words, each finished with a strong mixer. */
static unsigned long long
mix(unsigned long long h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	return h ^ (h >> 33);
}

static void
digest(const char *k, size_t n, unsigned long long d[2])
{
	unsigned long long a = 14695981039346656037ULL, b = 0x9e3779b97f4a7c15ULL ^ n;
	size_t i;

	for (i = 0; i < n; i++)
		a = (a ^ (unsigned char)k[i]) * 1099511628211ULL;
	for (i = 0; i + 8 <= n; i += 8) {
		unsigned long long w;
		memcpy(&w, k + i, 8);
		b = (b ^ mix(w)) * 0x94d049bb133111ebULL;
	}
	for (; i < n; i++)
		b = (b ^ (unsigned char)k[i]) * 0xbf58476d1ce4e5b9ULL;
	d[0] = mix(a);
	d[1] = mix(b);
	if (!d[0] && !d[1])
		d[1] = 1;	/* (0, 0) marks an empty slot */
}

void
sp_keyset_init(struct sp_keyset *s)
{
	s->cap = 1024;
	s->n = 0;
	s->v = sp_calloc(2 * s->cap, sizeof *s->v);
	s->val = sp_calloc(s->cap, sizeof *s->val);
}

/* Put d with number x in v/val (cap slots): 0, or the number of d when
 * it is there already. */
static unsigned long
put(unsigned long long *v, unsigned long *val, size_t cap, const unsigned long long d[2],
    unsigned long x)
{
	size_t i = (size_t)d[0] & (cap - 1);

	for (;; i = (i + 1) & (cap - 1)) {
		unsigned long long *p = v + 2 * i;
		if (!p[0] && !p[1]) {
			p[0] = d[0], p[1] = d[1];
			val[i] = x;
			return 0;
		}
		if (p[0] == d[0] && p[1] == d[1])
			return val[i];
	}
}

unsigned long
sp_keyset_add(struct sp_keyset *s, const char *key, size_t n, unsigned long x)
{
	unsigned long long d[2];
	unsigned long old;

	if (2 * (s->n + 1) > s->cap) {
		size_t cap = 2 * s->cap;
		unsigned long long *v = sp_calloc(2 * cap, sizeof *v);
		unsigned long *val = sp_calloc(cap, sizeof *val);

		for (size_t i = 0; i < s->cap; i++)
			if (s->v[2 * i] || s->v[2 * i + 1])
				put(v, val, cap, s->v + 2 * i, s->val[i]);
		free(s->v);
		free(s->val);
		s->v = v;
		s->val = val;
		s->cap = cap;
	}
	digest(key, n, d);
	if ((old = put(s->v, s->val, s->cap, d, x)))
		return old;
	s->n++;
	return 0;
}

void
sp_keyset_free(struct sp_keyset *s)
{
	free(s->v);
	free(s->val);
	memset(s, 0, sizeof *s);
}
