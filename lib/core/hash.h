/* hash.h - SHA-256 on OpenSSL EVP, as lowercase hex. */
#ifndef SP_HASH_H
#define SP_HASH_H

#include <stddef.h>

#define SP_HEXLEN 65	/* 64 hex digits and a NUL */

typedef struct sp_sha256 {
	void *ctx;	/* EVP_MD_CTX */
} sp_sha256;

/* Start a digest; never fails (sp_fatal if OpenSSL cannot). */
void sp_sha256_init(sp_sha256 *h);
/* Feed n bytes. */
void sp_sha256_update(sp_sha256 *h, const void *p, size_t n);
/* Finish into hex[SP_HEXLEN] and free the context. */
void sp_sha256_final(sp_sha256 *h, char *hex);
/* Drop a digest without finishing it. */
void sp_sha256_free(sp_sha256 *h);
/* hex of the SHA-256 of p[0..n). */
void sp_sha256_hex(const void *p, size_t n, char *hex);
/* Hash everything readable from fd, reading through buf[0..bufsz) (use
 * SP_HASH_BUFSZ); returns the byte count, or -1 with errno set on a read
 * error. Thread-safe when each thread has its own buf. size is the
 * fstat size of a regular file (a short read then means its end, which
 * saves a read per small file), or -1 for anything else. */
#define SP_HASH_BUFSZ (1 << 20)
long long sp_sha256_fd(int fd, long long size, void *buf, size_t bufsz, char *hex);
/* True when s is 64 lowercase hex digits. */
int sp_is_sha256(const char *s);

#endif
