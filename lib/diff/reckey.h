/* reckey.h - the join key and comparison hash of a record (sp-diff). */
#ifndef SP_RECKEY_H
#define SP_RECKEY_H

#include <stddef.h>
#include <jansson.h>

#include "core/hash.h"

/* Key and hash of rec: a file record is keyed by its path (raw bytes,
 * path_b64 honoured) and compared by "sha256"; a row record by
 * "TABLE/ID" and compared by sp_rowhash of its data (recomputed, so a
 * stale content_hash does not hide a change). Returns 1 with *key
 * (malloc'd, *keylen bytes) and hex set, 0 for a record of another type
 * (not compared), -1 with *why for a file or row record that lacks what
 * is needed. */
int sp_record_keyhash(json_t *rec, char **key, size_t *keylen, char hex[SP_HEXLEN],
    const char **why);

/* True when glob matches rec: a file record's path; a row's table (and
 * "skills" for agent_skills), skill_id, source_id, "source_id/slug" or
 * file_path. */
int sp_record_matches(json_t *rec, const char *glob);

#endif
