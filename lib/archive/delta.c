/* delta.c - an sp archive cut down to what a peer lacks. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "archive/base.h"
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

/* The data of file entry e, read (and so checked) to its end and, with
 * w, appended to w as the same entry. 0 or an exit status. */
static int
copy_file(struct sp_areader *r, const struct sp_aentry *e, struct sp_awriter *w, char *err,
    size_t errlen)
{
	const void *p;
	size_t n;
	int t;

	if (w && (t = sp_awriter_stream(w, e->path, e->file->mode, e->mtime, e->file->size, err, errlen)))
		return t;
	while ((t = sp_areader_data(r, &p, &n, err, errlen)) == 0 && n > 0)
		if (w && (t = sp_awriter_data(w, e->path, p, n, err, errlen)))
			return t;
	return t;
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
	size_t len;
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
		/* an entry the peer has is read (and its hash checked) all the same */
		if ((t = copy_file(r, &e, send ? w : NULL, err, errlen)))
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

int
sp_archive_merge(int up, int basefd, long long max_size, int out, int level, int threads,
    char **mtext, size_t *mlen, struct sp_merge *mg, char *err, size_t errlen)
{
	struct sp_areader *r;
	struct sp_awriter *w = NULL;
	struct sp_base *b = NULL;
	struct sp_aentry e;
	const struct sp_manifest *m, *bm;
	const char *text;
	size_t n, i;
	int t;

	memset(mg, 0, sizeof *mg);
	*mtext = NULL;
	if ((t = sp_areader_open_opt(up, max_size, SP_AR_PARTIAL, &r, err, errlen)))
		return t;
	w = sp_awriter_new(out, level, threads);
	text = sp_areader_manifest_text(r, &n);
	*mtext = sp_malloc(n + 1);
	memcpy(*mtext, text, n);
	(*mtext)[n] = '\0';
	*mlen = n;
	if ((t = sp_awriter_buf(w, SP_MANIFEST_NAME, 0644, 0, text, n, err, errlen)))
		goto fail;
	/* the upload's entries, checked and copied as they come */
	while ((t = sp_areader_next(r, &e, err, errlen)) == 0) {
		if (e.kind == SP_AE_DIR)
			continue;
		if (e.kind == SP_AE_LINK) {
			if ((t = sp_awriter_link(w, e.path, e.file->link, e.mtime, err, errlen)))
				goto fail;
			mg->received++;
			continue;
		}
		if ((t = copy_file(r, &e, w, err, errlen)))
			goto fail;
		mg->received++;
	}
	if (t > 0)
		goto fail;
	/* what it left out must be the base's, path for path */
	m = sp_areader_manifest(r);
	if ((t = sp_base_open_fd(dup(basefd), max_size, &b, err, errlen)))
		goto fail;
	bm = sp_base_manifest(b);
	for (i = 0; i < m->n; i++) {
		const struct sp_mfile *f = &m->v[i], *g;

		if (f->seen)
			continue;
		g = sp_manifest_find(bm, f->path);
		if (f->link || !g || g->link || strcmp(g->sha256, f->sha256) ||
		    (g->mode & 0777) != (f->mode & 0777)) {
			snprintf(err, errlen, "%s: not in the upload, and the base does not hold it "
			    "(the push was planned against another generation)", f->path);
			t = 409;
			goto fail;
		}
		mg->from_base++;
	}
	for (i = 0; i < bm->n; i++) {
		const struct sp_mfile *f = sp_manifest_find(m, bm->v[i].path);

		if (!f || f->seen)
			sp_base_drop(b, bm->v[i].path);
	}
	if ((t = sp_base_copy(b, w, err, errlen)))
		goto fail;
	sp_base_free(b);
	sp_areader_free(r);
	t = sp_awriter_close(w, mg->sha256, &mg->size, err, errlen);
	if (t) {
		free(*mtext);
		*mtext = NULL;
	}
	return t;
fail:
	sp_base_free(b);
	sp_awriter_abort(w);
	sp_areader_free(r);
	free(*mtext);
	*mtext = NULL;
	return t;
}
