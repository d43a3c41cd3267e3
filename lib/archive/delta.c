/* delta.c - an sp archive cut down to what a peer lacks. */
#include <stdlib.h>
#include <string.h>

#include "archive/delta.h"
#include "archive/sparchive.h"
#include "core/err.h"

static int
strp_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

size_t
sp_delta_sort(char **v, size_t n)
{
	size_t i, k = 0;

	if (n == 0)
		return 0;
	qsort(v, n, sizeof *v, strp_cmp);
	for (i = 1; i < n; i++) {
		if (strcmp(v[i], v[k]))
			v[++k] = v[i];
		else
			free(v[i]);
	}
	return k + 1;
}

static int
has(char *const *have, size_t nhave, const char *hex)
{
	return nhave && bsearch(&hex, have, nhave, sizeof *have, strp_cmp) != NULL;
}

int
sp_archive_delta(int src, long long max_size, char *const *have, size_t nhave, int out,
    int level, struct sp_delta *d, char *err, size_t errlen)
{
	struct sp_areader *r;
	struct sp_awriter *w;
	struct sp_aentry e;
	const char *text;
	const void *p;
	size_t len, n;
	int t, send;

	memset(d, 0, sizeof *d);
	if ((t = sp_areader_open(src, max_size, &r, err, errlen)))
		return t;
	w = sp_awriter_new(out, level, 1);
	text = sp_areader_manifest_text(r, &len);
	if ((t = sp_awriter_buf(w, SP_MANIFEST_NAME, 0644, 0, text, len, err, errlen)))
		goto fail;
	while ((t = sp_areader_next(r, &e, err, errlen)) == 0) {
		if (e.kind == SP_AE_DIR)
			continue;	/* directories come with the files in them */
		if (e.kind == SP_AE_LINK) {
			if ((t = sp_awriter_link(w, e.path, e.file->link, e.mtime, err, errlen)))
				goto fail;
			continue;
		}
		send = !has(have, nhave, e.file->sha256);
		if (send && (t = sp_awriter_stream(w, e.path, e.file->mode, e.mtime, e.file->size,
		    err, errlen)))
			goto fail;
		/* an entry the peer has is read (and its hash checked) all the same */
		while ((t = sp_areader_data(r, &p, &n, err, errlen)) == 0 && n > 0)
			if (send && (t = sp_awriter_data(w, e.path, p, n, err, errlen)))
				goto fail;
		if (t)
			goto fail;
		if (send) {
			d->files++;
			d->bytes += e.file->size;
		}
	}
	if (t > 0)
		goto fail;
	sp_areader_free(r);
	return sp_awriter_close(w, d->sha256, &d->size, err, errlen);
fail:
	sp_awriter_abort(w);
	sp_areader_free(r);
	return t;
}
