/* repack.c - a plain tarball rewritten as an sp archive (manifest first),
 * for sp-cloudd, which stores and serves only sp archives. */
#include <stdio.h>

#include "archive/sparchive.h"
#include "core/err.h"

int
sp_archive_repack(int in, long long max_size, const char *text, size_t len, int out, int level,
    char *hex, long long *size, char *err, size_t errlen)
{
	struct sp_areader *r;
	struct sp_awriter *w;
	struct sp_aentry e;
	const void *p;
	size_t n;
	int t;

	if ((t = sp_areader_open_given(in, max_size, text, len, &r, err, errlen)) != 0)
		return t;
	w = sp_awriter_new(out, level, 1);
	t = sp_awriter_buf(w, SP_MANIFEST_NAME, 0644, sp_manifest_stamp(sp_areader_manifest(r)),
	    text, len, err, errlen);
	while (!t && (t = sp_areader_next(r, &e, err, errlen)) == 0) {
		switch (e.kind) {
		case SP_AE_DIR:
			t = sp_awriter_dir(w, e.path, e.mtime, err, errlen);
			break;
		case SP_AE_LINK:
			t = sp_awriter_link(w, e.path, e.file->link, e.mtime, err, errlen);
			break;
		case SP_AE_FILE:
			t = sp_awriter_stream(w, e.path, e.file->mode, e.mtime, e.file->size, err, errlen);
			while (!t && (t = sp_areader_data(r, &p, &n, err, errlen)) == 0 && n > 0)
				t = sp_awriter_data(w, e.path, p, n, err, errlen);
			break;
		}
	}
	sp_areader_free(r);
	if (t > 0) {
		sp_awriter_abort(w);
		return t;
	}
	return sp_awriter_close(w, hex, size, err, errlen);
}
