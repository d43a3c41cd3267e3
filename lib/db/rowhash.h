/* rowhash.h - content_hash: SHA-256 over the canonical synced fields. */
#ifndef SP_ROWHASH_H
#define SP_ROWHASH_H

#include <jansson.h>

#include "core/hash.h"

/* The synced fields of table ("agent_skills" or "content"), a
 * NULL-terminated list, or NULL for another table. */
const char *const *sp_row_synced(const char *table);

/* A new object holding exactly the synced fields of data, canonicalised
 * as sp(7) documents: a missing field is null, null tags are [], null
 * metadata is {}, null body/instructions are "", CR LF in body and
 * instructions is LF, and published_at is normalised RFC 3339 UTC. For
 * another table, a copy of all of data. */
json_t *sp_row_canonical(const char *table, json_t *data);

/* content_hash of data: lowercase hex SHA-256 of the compact JSON, keys
 * sorted at every level, of sp_row_canonical(table, data). Works the
 * same on a row from disk and on the row read back from the database. */
void sp_rowhash(const char *table, json_t *data, char hex[SP_HEXLEN]);

#endif
