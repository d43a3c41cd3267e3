/* uuid.c - deterministic name-based UUIDs (RFC 4122 version 5). */
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "core/err.h"
#include "core/hex.h"
#include "core/uuid.h"

int
sp_is_uuid(const char *s)
{
	for (int i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!strchr("0123456789abcdefABCDEF", s[i]) || !s[i])
			return 0;
	}
	return s[36] == '\0';
}

int
sp_uuid_parse(const char *s, unsigned char out[16])
{
	int i, k = 0;

	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return -1;
			continue;
		}
		int h = sp_hexval((unsigned char)s[i]);
		if (h < 0)
			return -1;
		if (k % 2 == 0)
			out[k / 2] = (unsigned char)(h << 4);
		else
			out[k / 2] |= (unsigned char)h;
		k++;
	}
	return s[36] == '\0' ? 0 : -1;
}

void
sp_uuid_format(const unsigned char in[16], char out[37])
{
	static const char hx[] = "0123456789abcdef";
	int i, o = 0;

	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hx[in[i] >> 4];
		out[o++] = hx[in[i] & 15];
	}
	out[o] = '\0';
}

int
sp_uuid5_ns(const char *ns, const char *name, size_t n, char out[SP_UUID_LEN])
{
	unsigned char b[16], d[EVP_MAX_MD_SIZE];
	unsigned int dl = 0;
	EVP_MD_CTX *c;

	if (sp_uuid_parse(ns, b))
		return -1;
	c = EVP_MD_CTX_new();
	if (!c || !EVP_DigestInit_ex(c, EVP_sha1(), NULL) || !EVP_DigestUpdate(c, b, 16) ||
	    (n && !EVP_DigestUpdate(c, name, n)) || !EVP_DigestFinal_ex(c, d, &dl))
		sp_fatal("OpenSSL SHA-1 failed");
	EVP_MD_CTX_free(c);
	d[6] = (unsigned char)((d[6] & 0x0f) | 0x50);
	d[8] = (unsigned char)((d[8] & 0x3f) | 0x80);
	snprintf(out, SP_UUID_LEN,
	    "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
	    d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9], d[10], d[11], d[12],
	    d[13], d[14], d[15]);
	return 0;
}

void
sp_uuid5(const char *name, size_t n, char out[SP_UUID_LEN])
{
	sp_uuid5_ns(SP_UUID_NAMESPACE, name, n, out);
}

void
sp_uuid4(char out[SP_UUID_LEN])
{
	unsigned char b[16];

	if (RAND_bytes(b, sizeof b) != 1)
		sp_fatal("no random numbers for a UUID");
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, SP_UUID_LEN, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
	    b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
	    b[14], b[15]);
}
