/* uuid.h - name-based UUIDs (RFC 4122 version 5) for row ids; random ones. */
#ifndef SP_UUID_H
#define SP_UUID_H

#include <stddef.h>

#define SP_UUID_LEN 37	/* 36 characters and a NUL */

/* The namespace of every sp row id: UUIDv5 of the URL namespace and
 * "urn:sp:rows". */
#define SP_UUID_NAMESPACE "1dcf8306-43bd-5927-ae12-8d537a178726"

/* Lowercase UUIDv5 of name[0..n) in the namespace ns (text form); returns
 * 0, or -1 when ns is not a UUID. */
int sp_uuid5_ns(const char *ns, const char *name, size_t n, char out[SP_UUID_LEN]);

/* UUIDv5 of name in SP_UUID_NAMESPACE: the id of a row from disk, for the
 * natural key ("skill_id" or "source_id/slug"). */
void sp_uuid5(const char *name, size_t n, char out[SP_UUID_LEN]);

/* A random (version 4) UUID from OpenSSL's generator; sp_fatal if it has
 * no entropy. */
void sp_uuid4(char out[SP_UUID_LEN]);

/* True when s is a UUID in 8-4-4-4-12 hex form. */
int sp_is_uuid(const char *s);

/* Parse a UUID "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (hex, any case) into
 * 16 bytes; 0, or -1 when s is not one. */
int sp_uuid_parse(const char *s, unsigned char out[16]);

/* Format 16 bytes as a lowercase UUID string (37 bytes with the NUL). */
void sp_uuid_format(const unsigned char in[16], char out[37]);

#endif
