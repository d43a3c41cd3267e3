/* auth.h - sp-cloudd's tenant ids and bearer tokens.
 *
 * A token reads "spt_" ID "_" SECRET: ID is 16 lowercase hex digits (public,
 * names the token in `token list` and `token revoke`), SECRET 64 lowercase
 * hex digits of randomness. Only SHA-256(token) is ever stored. */
#ifndef SP_CLOUD_AUTH_H
#define SP_CLOUD_AUTH_H

#include <stddef.h>

#define CLOUD_TENANT_MAX 64	/* longest tenant id */
#define CLOUD_TOKEN_IDLEN 16	/* hex digits in a token id */
#define CLOUD_TOKEN_LEN (4 + CLOUD_TOKEN_IDLEN + 1 + 64)

/* True when s is a valid tenant id: [a-z0-9_-]{1,64}. */
int cloud_tenant_valid(const char *s);

/* Make a new random token into tok[CLOUD_TOKEN_LEN + 1], its id into
 * id[CLOUD_TOKEN_IDLEN + 1] and SHA-256(token) into hash[32]. Returns 0,
 * or -1 when the system has no randomness to give. */
int cloud_token_new(char *tok, char *id, unsigned char hash[32]);

/* Parse a token of n bytes: on a well-formed token, copy its id into
 * id[CLOUD_TOKEN_IDLEN + 1], put SHA-256(token) into hash[32] and return 0;
 * otherwise -1. Takes the same time for every well-formed token. */
int cloud_token_parse(const char *tok, size_t n, char *id, unsigned char hash[32]);

/* Constant-time equality of two 32-byte hashes. */
int cloud_hash_equal(const unsigned char *a, const unsigned char *b);

/* Find the token in an Authorization header value "Bearer TOKEN" (scheme
 * case-insensitive, surrounding blanks ignored). Returns a pointer into
 * value and its length in *n, or NULL when the header is not a bearer one. */
const char *cloud_bearer(const char *value, size_t *n);

/* True when s is a valid token id (16 lowercase hex digits). */
int cloud_token_id_valid(const char *s);

#endif
