/* keytab.c - a hash table of byte-string keys in insertion order. */
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/keytab.h"

/* FNV-1a, 64 bits. */
static unsigned long long
hash(const char *k, size_t n)
{
	unsigned long long h = 14695981039346656037ULL;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)k[i]) * 1099511628211ULL;
	return h ^ (h >> 29);
}

void
sp_keytab_init(struct sp_keytab *t)
{
	memset(t, 0, sizeof *t);
	t->nb = 1024;
	t->b = sp_calloc(t->nb, sizeof *t->b);
}

struct sp_kent *
sp_keytab_find(struct sp_keytab *t, const char *key, size_t keylen)
{
	unsigned long long h = hash(key, keylen);

	for (struct sp_kent *e = t->b[h & (t->nb - 1)]; e; e = e->chain)
		if (e->h == h && e->keylen == keylen && !memcmp(e->key, key, keylen))
			return e;
	return NULL;
}

static void
grow(struct sp_keytab *t)
{
	size_t nb = t->nb * 2;
	struct sp_kent **b = sp_calloc(nb, sizeof *b);

	for (size_t i = 0; i < t->nb; i++) {
		struct sp_kent *e = t->b[i], *next;
		for (; e; e = next) {
			next = e->chain;
			e->chain = b[e->h & (nb - 1)];
			b[e->h & (nb - 1)] = e;
		}
	}
	free(t->b);
	t->b = b;
	t->nb = nb;
}

struct sp_kent *
sp_keytab_add(struct sp_keytab *t, const char *key, size_t keylen, void *val)
{
	struct sp_kent *e = sp_malloc(sizeof *e + keylen + 1);
	size_t i;

	if (t->n >= t->nb)
		grow(t);
	e->h = hash(key, keylen);
	e->keylen = keylen;
	e->val = val;
	memcpy(e->key, key, keylen);
	e->key[keylen] = '\0';
	i = e->h & (t->nb - 1);
	e->chain = t->b[i];
	t->b[i] = e;
	e->prev = t->tail;
	e->next = NULL;
	if (t->tail)
		t->tail->next = e;
	else
		t->head = e;
	t->tail = e;
	t->n++;
	return e;
}

void
sp_keytab_del(struct sp_keytab *t, struct sp_kent *e)
{
	struct sp_kent **pp = &t->b[e->h & (t->nb - 1)];

	while (*pp != e)
		pp = &(*pp)->chain;
	*pp = e->chain;
	if (e->prev)
		e->prev->next = e->next;
	else
		t->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		t->tail = e->prev;
	t->n--;
	free(e);
}

void
sp_keytab_free(struct sp_keytab *t)
{
	struct sp_kent *e, *next;

	for (e = t->head; e; e = next) {
		next = e->next;
		free(e);
	}
	free(t->b);
	memset(t, 0, sizeof *t);
}
