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

/* A random (version 4) UUID from OpenSSL's generator; dies 70 if it has
 * no entropy. */
void sp_uuid4(char out[SP_UUID_LEN]);

/* True when s is a UUID in 8-4-4-4-12 hex form. */
int sp_is_uuid(const char *s);

#endif
