/* statcache.h - sp-manifest's stat cache: path + stat fingerprint -> sha256. */
#ifndef SP_STATCACHE_H
#define SP_STATCACHE_H

#include <sys/stat.h>

#include "core/hash.h"

struct sp_centry {
	long long size, mtime_ns, ctime_ns;
	unsigned long long ino;
	char sha256[SP_HEXLEN];
};

struct sp_statcache;

/* Open the cache file at path (a missing or unreadable-as-cache file is an
 * empty cache, with a warning for the latter) and start a new one beside
 * it. Dies 73 when the new one cannot be created. */
struct sp_statcache *sp_statcache_open(const char *path);

/* Look up path; lookups in ascending bytewise order stream through the
 * file in one pass (constant memory). After a lookup out of order every
 * later lookup misses, which only costs a re-hash. 1 and *e when found. */
int sp_statcache_find(struct sp_statcache *c, const char *path, struct sp_centry *e);

/* True when st (of the file just opened) matches the entry exactly. */
int sp_statcache_fresh(const struct sp_centry *e, const struct stat *st);

/* Remember path's hash for the new cache (hit: it came from the cache),
 * unless the file changed less than a second ago: then its timestamps
 * cannot yet prove a later change, so it is left out and hashed again
 * next time. Call in input order, once per hashed file. */
void sp_statcache_add(struct sp_statcache *c, const char *path, const struct stat *st,
    const char *hex, int hit);

/* Replace the cache file with the new one atomically when anything
 * changed (an unchanged cache is left alone, without a write); frees c. */
void sp_statcache_commit(struct sp_statcache *c);

#endif
