/* auth.c - tenant ids, bearer tokens, constant-time hash comparison. */
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "cloud/auth.h"

static const char hexd[] = "0123456789abcdef";

int
cloud_tenant_valid(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++) {
		char c = s[i];
		if (i >= CLOUD_TENANT_MAX)
			return 0;
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return 0;
	}
	return i > 0;
}

static int
ishex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

int
cloud_token_id_valid(const char *s)
{
	return strlen(s) == CLOUD_TOKEN_IDLEN && ishex(s, CLOUD_TOKEN_IDLEN);
}

static int
sha256(const void *p, size_t n, unsigned char out[32])
{
	unsigned int len = 0;

	return EVP_Digest(p, n, out, &len, EVP_sha256(), NULL) == 1 && len == 32 ? 0 : -1;
}

int
cloud_token_new(char *tok, char *id, unsigned char hash[32])
{
	unsigned char r[CLOUD_TOKEN_IDLEN / 2 + 32];
	char *p = tok;
	size_t i;

	if (RAND_bytes(r, sizeof r) != 1)
		return -1;
	memcpy(p, "spt_", 4);
	p += 4;
	for (i = 0; i < sizeof r; i++) {
		if (i == CLOUD_TOKEN_IDLEN / 2)
			*p++ = '_';
		*p++ = hexd[r[i] >> 4];
		*p++ = hexd[r[i] & 15];
	}
	*p = '\0';
	OPENSSL_cleanse(r, sizeof r);
	memcpy(id, tok + 4, CLOUD_TOKEN_IDLEN);
	id[CLOUD_TOKEN_IDLEN] = '\0';
	return sha256(tok, CLOUD_TOKEN_LEN, hash);
}

int
cloud_token_parse(const char *tok, size_t n, char *id, unsigned char hash[32])
{
	if (n != CLOUD_TOKEN_LEN || memcmp(tok, "spt_", 4) || tok[4 + CLOUD_TOKEN_IDLEN] != '_' ||
	    !ishex(tok + 4, CLOUD_TOKEN_IDLEN) || !ishex(tok + 5 + CLOUD_TOKEN_IDLEN, 64))
		return -1;
	memcpy(id, tok + 4, CLOUD_TOKEN_IDLEN);
	id[CLOUD_TOKEN_IDLEN] = '\0';
	return sha256(tok, n, hash);
}

int
cloud_hash_equal(const unsigned char *a, const unsigned char *b)
{
	return CRYPTO_memcmp(a, b, 32) == 0;
}

const char *
cloud_bearer(const char *v, size_t *n)
{
	size_t len;

	if (!v)
		return NULL;
	while (*v == ' ' || *v == '\t')
		v++;
	if (strncasecmp(v, "Bearer", 6) || (v[6] != ' ' && v[6] != '\t'))
		return NULL;
	v += 6;
	while (*v == ' ' || *v == '\t')
		v++;
	len = strlen(v);
	while (len && (v[len - 1] == ' ' || v[len - 1] == '\t'))
		len--;
	if (!len)
		return NULL;
	*n = len;
	return v;
}
