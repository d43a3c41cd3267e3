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
