/* hash.c - SHA-256 on OpenSSL EVP. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "core/err.h"
#include "core/hash.h"

static EVP_MD *md;
static pthread_once_t md_once = PTHREAD_ONCE_INIT;

static void
fetch_md(void)
{
	/* No cleanup at exit: a tool that dies (sp_die -> exit) while its
	 * workers still hash must not have OpenSSL freed under them. */
	OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT, NULL);
	/* Fetch once: an implicit fetch per EVP_DigestInit is slow. */
	md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

static void
tohex(const unsigned char *d, char *hex)
{
	static const char x[] = "0123456789abcdef";
	int i;

	for (i = 0; i < 32; i++) {
		hex[2 * i] = x[d[i] >> 4];
		hex[2 * i + 1] = x[d[i] & 15];
	}
	hex[64] = '\0';
}

void
sp_sha256_init(sp_sha256 *h)
{
	pthread_once(&md_once, fetch_md);
	h->ctx = EVP_MD_CTX_new();
	if (!md || !h->ctx || !EVP_DigestInit_ex(h->ctx, md, NULL))
		sp_fatal("OpenSSL cannot initialise SHA-256");
}

void
sp_sha256_update(sp_sha256 *h, const void *p, size_t n)
{
	if (n && !EVP_DigestUpdate(h->ctx, p, n))
		sp_fatal("OpenSSL SHA-256 update failed");
}

void
sp_sha256_final(sp_sha256 *h, char *hex)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (!EVP_DigestFinal_ex(h->ctx, d, &n) || n != 32)
		sp_fatal("OpenSSL SHA-256 final failed");
	tohex(d, hex);
	sp_sha256_free(h);
}

void
sp_sha256_free(sp_sha256 *h)
{
	EVP_MD_CTX_free(h->ctx);
	h->ctx = NULL;
}

void
sp_sha256_hex(const void *p, size_t n, char *hex)
{
	sp_sha256 h;

	sp_sha256_init(&h);
	sp_sha256_update(&h, p, n);
	sp_sha256_final(&h, hex);
}

long long
sp_sha256_fd(int fd, long long size, void *buf, size_t bufsz, char *hex)
{
	long long total = 0;
	sp_sha256 h;
	ssize_t n;

	if (size < 0 || (size_t)size >= bufsz)
		posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	sp_sha256_init(&h);
	for (;;) {
		n = read(fd, buf, bufsz);
		if (n == 0)
			break;
		if (n < 0) {
			int e = errno;

			if (e == EINTR)
				continue;
			sp_sha256_free(&h);
			errno = e;
			return -1;
		}
		sp_sha256_update(&h, buf, (size_t)n);
		total += n;
		if (size >= 0 && (size_t)n < bufsz && total >= size)
			break;	/* a regular file's short read: its end */
	}
	sp_sha256_final(&h, hex);
	return total;
}

int
sp_is_sha256(const char *s)
{
	int i;

	for (i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[64] == '\0';
}
