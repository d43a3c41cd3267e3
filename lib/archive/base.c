/* base.c - the kept entries of a verified base archive, copied into a new
 * one; every byte of the base is read and checked against its manifest. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "archive/base.h"
#include "core/err.h"

struct sp_base {
	int fd;
	struct sp_areader *r;
	const struct sp_manifest *m;
	unsigned char *drop;	/* per manifest entry */
};

int
sp_base_open(const char *path, long long max_size, struct sp_base **b, char *err, size_t errlen)
{
	char why[1024];
	int fd = open(path, O_RDONLY | O_CLOEXEC), t;

	*b = NULL;
	if (fd < 0) {
		t = errno;
		snprintf(err, errlen, "%s: %s", path, strerror(t));
		return sp_ex_for_errno(t);
	}
	if ((t = sp_base_open_fd(fd, max_size, b, why, sizeof why)) != 0)
		snprintf(err, errlen, "%s: %s", path, why);
	return t;
}

int
sp_base_open_fd(int fd, long long max_size, struct sp_base **b, char *err, size_t errlen)
{
	struct sp_base *x = sp_calloc(1, sizeof *x);
	int t;

	*b = NULL;
	x->fd = fd;
	if ((t = sp_areader_open(fd, max_size, &x->r, err, errlen)) != 0) {
		close(fd);
		free(x);
		return t;
	}
	x->m = sp_areader_manifest(x->r);
	x->drop = sp_calloc(x->m->n ? x->m->n : 1, 1);
	*b = x;
	return 0;
}

const struct sp_manifest *
sp_base_manifest(const struct sp_base *b)
{
	return b->m;
}

/* Whether a names a directory that holds b ("x" holds "x/y"). */
static int
holds(const char *a, const char *b)
{
	size_t n = strlen(a);

	return !strncmp(a, b, n) && b[n] == '/';
}

size_t
sp_base_drop(struct sp_base *b, const char *path)
{
	size_t i, n = 0;

	/* the list is sorted bytewise: the entries at or below path are one
	 * run from its place, an entry path is below is one of its prefixes */
	for (i = 0; i < b->m->n; i++) {
		const char *p = b->m->v[i].path;

		if (!b->drop[i] && (!strcmp(p, path) || holds(path, p) || holds(p, path))) {
			b->drop[i] = 1;
			n++;
		}
	}
	return n;
}

int
sp_base_kept(const struct sp_base *b, size_t i)
{
	return i < b->m->n && !b->drop[i];
}

int
sp_base_copy(struct sp_base *b, struct sp_awriter *w, char *err, size_t errlen)
{
	struct sp_aentry e;
	const void *p;
	size_t n, i;
	int t, keep;

	while ((t = sp_areader_next(b->r, &e, err, errlen)) == 0) {
		if (e.kind == SP_AE_DIR)
			continue;	/* directories come with the files in them */
		i = (size_t)(e.file - b->m->v);
		keep = !b->drop[i];
		if (e.kind == SP_AE_LINK) {
			if (keep && (t = sp_awriter_link(w, e.path, e.file->link, e.mtime, err, errlen)))
				return t;
			continue;
		}
		if (keep && (t = sp_awriter_stream(w, e.path, e.file->mode, e.mtime, e.file->size,
		    err, errlen)))
			return t;
		/* a dropped entry's data is read (and its hash checked) all the same */
		while ((t = sp_areader_data(b->r, &p, &n, err, errlen)) == 0 && n > 0)
			if (keep && (t = sp_awriter_data(w, e.path, p, n, err, errlen)))
				return t;
		if (t)
			return t;
	}
	return t < 0 ? 0 : t;
}

void
sp_base_free(struct sp_base *b)
{
	if (!b)
		return;
	sp_areader_free(b->r);
	close(b->fd);
	free(b->drop);
	free(b);
}
