/* strbuf.h - a growable byte buffer that reports exhaustion instead of dying
 * (for library code that servers call). */
#ifndef SP_STRBUF_H
#define SP_STRBUF_H

#include <stddef.h>
#include <stdint.h>

struct sp_strbuf {
	char *p;		/* the bytes; always NUL-terminated when non-NULL */
	size_t len, cap;
	int oom;		/* set once an allocation failed; later adds do nothing */
};

/* Make room for n more bytes; 0, or -1 (and oom set) when out of memory. */
int sp_strbuf_grow(struct sp_strbuf *b, size_t n);

/* Append n bytes. */
void sp_strbuf_add(struct sp_strbuf *b, const void *s, size_t n);

/* Append a NUL-terminated string. */
void sp_strbuf_puts(struct sp_strbuf *b, const char *s);

/* Append one byte. */
void sp_strbuf_putc(struct sp_strbuf *b, char c);

/* Append printf-formatted text. */
void sp_strbuf_printf(struct sp_strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Append v as 2, 4 or 8 big-endian bytes (network order, as COPY BINARY wants). */
void sp_strbuf_be16(struct sp_strbuf *b, uint16_t v);
void sp_strbuf_be32(struct sp_strbuf *b, uint32_t v);
void sp_strbuf_be64(struct sp_strbuf *b, uint64_t v);

/* Forget the contents, keep the memory. */
void sp_strbuf_reset(struct sp_strbuf *b);

/* Release the memory. */
void sp_strbuf_free(struct sp_strbuf *b);

#endif
