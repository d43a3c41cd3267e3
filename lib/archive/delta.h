/* delta.h - the part of a verified sp archive that a peer lacks: the
 * manifest whole, every symlink, and the regular files whose SHA-256 is
 * not among the hashes the peer has (sp-cloudd's POST .../files/delta,
 * sp-download files --have, sp-unpack --local). */
#ifndef SP_ARCHIVE_DELTA_H
#define SP_ARCHIVE_DELTA_H

#include "core/hash.h"

struct sp_delta {
	long long files;	/* regular files written */
	long long bytes;	/* their bytes */
	long long size;		/* the delta archive's size */
	char sha256[SP_HEXLEN];	/* and its SHA-256 */
};

/* Read the sp archive on src (verified as it streams, every entry) and
 * write to out, at gzip level, an sp archive holding its manifest's exact
 * bytes and the entries a peer lacks: symlinks, and files whose sha256
 * is not in have[0..nhave) (64-hex strings sorted by strcmp). 0 with *d
 * filled, or an exit status (65 the source is bad, 74) with the message
 * in err. */
int sp_archive_delta(int src, long long max_size, char *const *have, size_t nhave, int out,
    int level, struct sp_delta *d, char *err, size_t errlen);

/* Sort and deduplicate the n strings of v in place; returns the new count. */
size_t sp_delta_sort(char **v, size_t n);

#endif

#ifndef SP_ARCHIVE_MERGE
#define SP_ARCHIVE_MERGE
struct sp_merge {
	long long received;	/* entries (files, symlinks) the upload carried */
	long long from_base;	/* files taken from the base */
	long long size;		/* the merged archive's size */
	char sha256[SP_HEXLEN];	/* and its SHA-256 */
};

/* An incremental push: up is an sp archive whose manifest lists the whole
 * new tree and which may leave out regular files that the base archive
 * (on base) holds at the same path with the same SHA-256 and mode
 * (sp-pack --have). Both are verified as they stream; out gets the whole
 * new archive: up's manifest (exact bytes) and entries, then the base's
 * entries it left out. 0 with *m filled; 65 with the message in err when
 * up is bad, 409 (HTTP's Conflict, not an exit status) when it leaves out
 * a file the base does not hold so (the plan was made against another
 * base), 74 on I/O errors. *mtext gets up's manifest bytes (malloc'd). */
int sp_archive_merge(int up, int base, long long max_size, int out, int level, int threads,
    char **mtext, size_t *mlen, struct sp_merge *m, char *err, size_t errlen);
#endif
