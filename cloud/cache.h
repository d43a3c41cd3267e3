/* cache.h - the archive cache on disk and the manifest cache in memory
 * (caches only: PostgreSQL holds the truth). */
#ifndef SP_CLOUD_CACHE_H
#define SP_CLOUD_CACHE_H

#include <stddef.h>

#include "cloud/server.h"

/* Open the cached archive with this sha256 and size for reading; -1 when
 * it is not cached. */
int cloud_cache_open(struct cloud_server *s, const char *sha256, long long size);

/* A new temporary file in the cache directory: its fd, its malloc'd name
 * in *path; -1 with errno set on failure. */
int cloud_cache_tmp(struct cloud_server *s, char **path);

/* Move the complete file path into the cache as sha256 (path is consumed:
 * renamed or removed), then trim the cache to its size bound. */
void cloud_cache_put(struct cloud_server *s, char *path, const char *sha256);

/* Manifest bytes in memory, by the sha256 of their archive. */
struct cloud_mcache *cloud_mcache_new(void);
void cloud_mcache_free(struct cloud_mcache *m);
/* A malloc'd copy of the manifest of the archive with this sha256 into
 * *buf and *len; 0, or -1 when it is not cached. */
int cloud_mcache_get(struct cloud_mcache *m, const char *sha256, char **buf, size_t *len);
/* Remember a manifest (copied). */
void cloud_mcache_put(struct cloud_mcache *m, const char *sha256, const char *buf, size_t len);

#endif
