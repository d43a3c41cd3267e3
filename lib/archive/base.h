/* base.h - a verified base archive whose entries a new archive keeps
 * (sp-pack --base: a filtered or merging push built in one pass). */
#ifndef SP_ARCHIVE_BASE_H
#define SP_ARCHIVE_BASE_H

#include "archive/sparchive.h"

struct sp_base;

/* Open the sp archive at path and verify its manifest; 0 with *b set,
 * or an exit status (66 missing, 65 invalid, 74) with the message in err. */
int sp_base_open(const char *path, long long max_size, struct sp_base **b, char *err, size_t errlen);

/* As sp_base_open for an open fd (which b then owns and closes). */
int sp_base_open_fd(int fd, long long max_size, struct sp_base **b, char *err, size_t errlen);

/* Its verified manifest (owned by b). */
const struct sp_manifest *sp_base_manifest(const struct sp_base *b);

/* Drop the base entries that path replaces: path itself, those below it
 * (path became a file) and the one it is below (path's directory was a
 * file). Returns how many were dropped. */
size_t sp_base_drop(struct sp_base *b, const char *path);

/* Whether manifest entry i is still kept. */
int sp_base_kept(const struct sp_base *b, size_t i);

/* Append every kept entry to w, reading the whole base archive and
 * verifying every entry's data, kept or not; 0 or an exit status with the
 * message in err. */
int sp_base_copy(struct sp_base *b, struct sp_awriter *w, char *err, size_t errlen);

/* Close and free b. */
void sp_base_free(struct sp_base *b);

#endif
