/* archive_fuzz - libFuzzer target for the archive and manifest reader:
 * sp_manifest_parse on the raw input, then sp_archive_verify_fd on it.
 * The first byte picks how the rest reaches the reader: odd, it is a tar
 * stream that is gzip-compressed first (so mutations reach the tar and
 * manifest checks instead of dying on the gzip CRC); even, it is the
 * gzip file itself. Bit 1 set, plain tarballs are taken too (SP_AR_PLAIN),
 * and one that passes is repacked and must then pass the strict reader. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <zlib.h>

#include "archive/manifest.h"
#include "archive/sparchive.h"

static int memfd = -1;

static void
put(const void *p, size_t n)
{
	if (ftruncate(memfd, 0) != 0 || pwrite(memfd, p, n, 0) != (ssize_t)n || lseek(memfd, 0, SEEK_SET) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sp_manifest m;
	char err[1024];
	json_t *doc = NULL;
	char *text = NULL;
	size_t len = 0;
	int r, plain = 0;

	if (memfd < 0 && (memfd = memfd_create("fuzz", 0)) < 0)
		abort();
	if (size < 1)
		return 0;
	if (sp_manifest_parse((const char *)data + 1, size - 1, 1 << 20, &m, err, sizeof err) == 0)
		sp_manifest_free(&m);
	if (data[0] & 1) {
		z_stream z = {0};
		size_t cap = compressBound((uLong)size) + 64;
		unsigned char *out = malloc(cap);

		if (!out || deflateInit2(&z, 1, Z_DEFLATED, 16 + 15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
			abort();
		z.next_in = (unsigned char *)data + 1;
		z.avail_in = (uInt)(size - 1);
		z.next_out = out;
		z.avail_out = (uInt)cap;
		if (deflate(&z, Z_FINISH) != Z_STREAM_END)
			abort();
		put(out, cap - z.avail_out);
		deflateEnd(&z);
		free(out);
	} else {
		put(data + 1, size - 1);
	}
	r = sp_archive_verify_fd_opt(memfd, 1 << 20, data[0] & 2 ? SP_AR_PLAIN : 0, &doc, &text, &len,
	    &plain, err, sizeof err);
	if ((r == 0) != (doc != NULL) || (r && !err[0]))
		abort();	/* the contract: a manifest exactly on success, a reason otherwise */
	json_decref(doc);
	if (r == 0 && plain) {
		char hex[65];
		long long n;
		int out = memfd_create("repacked", 0);

		if (out < 0 || lseek(memfd, 0, SEEK_SET) != 0)
			abort();
		if (sp_archive_repack(memfd, 1 << 20, text, len, out, 1, hex, &n, err, sizeof err) != 0)
			abort();	/* what passed once passes again */
		if (lseek(out, 0, SEEK_SET) != 0 || sp_archive_verify_fd(out, 1 << 20, &doc, err, sizeof err) != 0)
			abort();	/* and the repacked archive is a valid sp archive */
		json_decref(doc);
		close(out);
	}
	free(text);
	return 0;
}
