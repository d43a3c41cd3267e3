/* strbuf.c - a growable byte buffer that reports exhaustion. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"

int
sp_strbuf_grow(struct sp_strbuf *b, size_t n)
{
	size_t cap;
	char *p;

	if (b->oom)
		return -1;
	if (b->len + n + 1 <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap < b->len + n + 1) {
		if (cap > SIZE_MAX / 2) {
			b->oom = 1;
			return -1;
		}
		cap *= 2;
	}
	p = realloc(b->p, cap);
	if (!p) {
		b->oom = 1;
		return -1;
	}
	b->p = p;
	b->cap = cap;
	return 0;
}

void
sp_strbuf_add(struct sp_strbuf *b, const void *s, size_t n)
{
	if (sp_strbuf_grow(b, n))
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void
sp_strbuf_puts(struct sp_strbuf *b, const char *s)
{
	sp_strbuf_add(b, s, strlen(s));
}

void
sp_strbuf_putc(struct sp_strbuf *b, char c)
{
	if (b->len + 2 <= b->cap && !b->oom) {
		b->p[b->len++] = c;
		b->p[b->len] = '\0';
		return;
	}
	sp_strbuf_add(b, &c, 1);
}

void
sp_strbuf_printf(struct sp_strbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || sp_strbuf_grow(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void
sp_strbuf_be16(struct sp_strbuf *b, uint16_t v)
{
	unsigned char c[2] = {v >> 8, v};

	sp_strbuf_add(b, c, 2);
}

void
sp_strbuf_be32(struct sp_strbuf *b, uint32_t v)
{
	unsigned char c[4] = {v >> 24, v >> 16, v >> 8, v};

	sp_strbuf_add(b, c, 4);
}

void
sp_strbuf_be64(struct sp_strbuf *b, uint64_t v)
{
	sp_strbuf_be32(b, (uint32_t)(v >> 32));
	sp_strbuf_be32(b, (uint32_t)v);
}

void
sp_strbuf_reset(struct sp_strbuf *b)
{
	b->len = 0;
	if (b->p)
		b->p[0] = '\0';
}

void
sp_strbuf_free(struct sp_strbuf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
	b->oom = 0;
}
