/* sparchive.c - sp archives: the verifying reader and the writer. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive_entry.h>

#include "archive/gz.h"
#include "archive/sparchive.h"
#include "core/err.h"
#include "core/keytab.h"
#include "core/path.h"

/* ---- reader ---- */

struct sp_areader {
	struct archive *a;
	struct sp_gzr *gz;
	long long max;
	struct sp_manifest m;
	struct sp_mfile *cur;	/* file whose data is being read */
	sp_sha256 h;
	long long got;
	char *path;		/* clean name of the current entry */
	char *mtext;		/* the manifest's bytes */
	size_t mlen;
	char name[256];		/* printable raw name of the current entry */
	int code;		/* sticky failure */
	char err[768];
	int pend;		/* a header read ahead: 1, or -1 for the end */
	struct archive_entry *pae;
	/* a plain tarball: no manifest in it, one built from its entries */
	int plain;
	int partial;		/* SP_AR_PARTIAL: listed files may be absent */
	size_t cap;
	struct sp_keytab names;	/* path -> NAME_FILE or NAME_DIR */
	long long newest;	/* newest mtime */
	size_t mest;		/* the manifest's size, estimated */
	long ndirs;		/* directory entries so far */
};

#define NAME_FILE ((void *)1)
#define NAME_LINK ((void *)2)
#define NAME_DIR ((void *)3)

/* Copy s into out[n] with control characters shown as '?'. */
static void
printable(const char *s, char *out, size_t n)
{
	size_t i;

	size_t o = 0;
	int k;

	for (i = 0; s[i] && o + 1 < n; i++) {
		if ((k = sp_ctl_len(s + i)))
			out[o++] = '?', i += (size_t)k - 1;
		else
			out[o++] = s[i];
	}
	out[o] = '\0';
}

/* Record a failure "ENTRY: reason" (sticky) and copy it out. */
static int __attribute__((format(printf, 5, 6)))
fail(struct sp_areader *r, int code, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!r->code) {
		r->code = code;
		va_start(ap, fmt);
		vsnprintf(r->err, sizeof r->err, fmt, ap);
		va_end(ap);
	}
	if (err && errlen)
		snprintf(err, errlen, "%s", r->err);
	return r->code;
}

/* A libarchive failure, blamed on the gzip layer when that is the cause. */
static int
fail_la(struct sp_areader *r, const char *entry, char *err, size_t errlen)
{
	int code = 0;
	const char *gm = sp_gzr_error(r->gz, &code);

	if (code)
		return fail(r, code, err, errlen, "%s: %s", entry, gm);
	return fail(r, SP_EX_DATAERR, err, errlen, "%s: %s", entry,
	    archive_error_string(r->a) ? archive_error_string(r->a) : "unreadable tar data");
}

static la_ssize_t
rd(struct archive *a, void *ud, const void **buf)
{
	struct sp_areader *r = ud;
	ssize_t n = sp_gzr_read(r->gz, buf);

	if (n < 0) {
		archive_set_error(a, EIO, "%s", sp_gzr_error(r->gz, NULL));
		return -1;
	}
	return n;
}

/* Read the next header: 0 with *ae and r->path set (".": the root), -1
 * at the end of the archive, or an exit status. */
static int
header(struct sp_areader *r, struct archive_entry **ae, char *err, size_t errlen)
{
	const char *raw, *why;
	char *p;
	size_t len;
	int t;

	free(r->path);
	r->path = NULL;
	t = archive_read_next_header(r->a, ae);
	if (t == ARCHIVE_EOF)
		return -1;
	/* A pax name is UTF-8, which libarchive fails to convert to a C
	 * locale: harmless, since the UTF-8 form is the one used below. */
	if (t == ARCHIVE_WARN && archive_error_string(r->a) &&
	    strstr(archive_error_string(r->a), "can't be converted"))
		t = ARCHIVE_OK;
	if (t != ARCHIVE_OK) {
		/* the header that failed is the next one's (a pax or GNU long
		 * name header among them): say so, and where it sits */
		char where[sizeof r->name + 64];
		if (r->name[0])
			snprintf(where, sizeof where, "the entry after %s", r->name);
		else
			snprintf(where, sizeof where, "the first entry");
		return fail_la(r, where, err, errlen);
	}
	raw = archive_entry_pathname_utf8(*ae);
	if (!raw)
		raw = archive_entry_pathname(*ae);
	if (!raw)
		return fail(r, SP_EX_DATAERR, err, errlen, "archive: an entry with an unreadable name");
	printable(raw, r->name, sizeof r->name);
	while (raw[0] == '.' && raw[1] == '/')
		for (raw += 2; *raw == '/'; raw++)
			;
	p = r->path = sp_strdup(*raw ? raw : ".");
	len = strlen(p);
	if (len > 1 && p[len - 1] == '/' && archive_entry_filetype(*ae) == AE_IFDIR)
		p[len - 1] = '\0';
	if (!sp_utf8_valid(p, strlen(p)))
		return fail(r, SP_EX_DATAERR, err, errlen, "%s: name is not valid UTF-8", r->name);
	if (strcmp(p, ".") && ((why = sp_path_unsafe(p, 1)) || (why = sp_name_too_long(p))))
		return fail(r, SP_EX_DATAERR, err, errlen, "%s: %s", r->name, why);
	if (archive_entry_hardlink(*ae))
		return fail(r, SP_EX_DATAERR, err, errlen, "%s: hardlinks are refused", r->name);
	switch (archive_entry_filetype(*ae)) {
	case AE_IFREG:
	case AE_IFLNK:
	case AE_IFDIR:
		break;
	case AE_IFCHR:
	case AE_IFBLK:
		return fail(r, SP_EX_DATAERR, err, errlen, "%s: device files are refused", r->name);
	case AE_IFIFO:
		return fail(r, SP_EX_DATAERR, err, errlen, "%s: FIFOs are refused", r->name);
	case AE_IFSOCK:
		return fail(r, SP_EX_DATAERR, err, errlen, "%s: sockets are refused", r->name);
	default:
		return fail(r, SP_EX_DATAERR, err, errlen, "%s: unsupported entry type", r->name);
	}
	if (archive_entry_sparse_count(*ae) > 0)
		return fail(r, SP_EX_DATAERR, err, errlen, "%s: sparse entries are refused", r->name);
	if (!strcmp(p, ".") && archive_entry_filetype(*ae) != AE_IFDIR)
		return fail(r, SP_EX_DATAERR, err, errlen, "%s: empty path", r->name);
	return 0;
}

/* A reader on fd with its first header read (into *ae; t as header()). */
static struct sp_areader *
start(int fd, long long max_size, struct archive_entry **ae, int *t, char *err, size_t errlen)
{
	struct sp_areader *r = sp_calloc(1, sizeof *r);

	r->gz = sp_gzr_new(fd, max_size);
	r->max = max_size;
	r->a = archive_read_new();
	if (!r->a)
		sp_fatal("out of memory");
	sp_keytab_init(&r->names);
	archive_read_support_format_tar(r->a);
	if (archive_read_open(r->a, r, NULL, rd, NULL) != ARCHIVE_OK) {
		*t = fail_la(r, "archive", err, errlen);
		return r;
	}
	*t = header(r, ae, err, errlen);
	return r;
}

int
sp_areader_open_given(int fd, long long max_size, const char *text, size_t len,
    struct sp_areader **rp, char *err, size_t errlen)
{
	struct archive_entry *ae;
	struct sp_areader *r;
	int t;

	*rp = NULL;
	r = start(fd, max_size, &ae, &t, err, errlen);
	if (t <= 0 && sp_manifest_parse(text, len, max_size, &r->m, r->err, sizeof r->err) != 0) {
		t = r->code = SP_EX_DATAERR;
		snprintf(err, errlen, "%s", r->err);
	}
	if (t > 0) {
		sp_areader_free(r);
		return t;
	}
	r->mtext = sp_malloc(len + 1);
	memcpy(r->mtext, text, len);
	r->mtext[len] = '\0';
	r->mlen = len;
	r->pend = t < 0 ? -1 : 1;
	r->pae = ae;
	*rp = r;
	return 0;
}

int
sp_areader_open(int fd, long long max_size, struct sp_areader **rp, char *err, size_t errlen)
{
	return sp_areader_open_opt(fd, max_size, 0, rp, err, errlen);
}

int
sp_areader_open_opt(int fd, long long max_size, int flags, struct sp_areader **rp, char *err,
    size_t errlen)
{
	struct sp_areader *r;
	struct archive_entry *ae;
	char *buf = NULL;
	size_t got = 0;
	long long size;
	int t;

	*rp = NULL;
	r = start(fd, max_size, &ae, &t, err, errlen);
	if (t > 0)
		goto bad;
	r->partial = (flags & SP_AR_PARTIAL) != 0;
	if ((flags & SP_AR_PLAIN) && (t < 0 || strcmp(r->path, SP_MANIFEST_NAME))) {
		/* no manifest first: a plain tarball, checked entry by entry */
		r->plain = 1;
		r->pend = t < 0 ? -1 : 1;
		r->pae = ae;
		*rp = r;
		return 0;
	}
	if (t < 0) {
		fail(r, SP_EX_DATAERR, err, errlen, "archive: empty, no " SP_MANIFEST_NAME);
		goto bad;
	}
	if (strcmp(r->path, SP_MANIFEST_NAME) || archive_entry_filetype(ae) != AE_IFREG) {
		fail(r, SP_EX_DATAERR, err, errlen, "%s: the first entry must be the manifest " SP_MANIFEST_NAME
		    " (a plain tarball needs --plain)", r->name);
		goto bad;
	}
	size = archive_entry_size(ae);
	if (size < 0 || size > SP_MANIFEST_MAX || size > max_size) {
		fail(r, SP_EX_DATAERR, err, errlen, SP_MANIFEST_NAME ": larger than %lld bytes",
		    SP_MANIFEST_MAX < max_size ? SP_MANIFEST_MAX : max_size);
		goto bad;
	}
	buf = sp_malloc((size_t)size + 1);
	while (got < (size_t)size) {
		la_ssize_t n = archive_read_data(r->a, buf + got, (size_t)size - got);
		if (n < 0) {
			fail_la(r, SP_MANIFEST_NAME, err, errlen);
			goto bad;
		}
		if (n == 0) {
			fail(r, SP_EX_DATAERR, err, errlen, SP_MANIFEST_NAME ": truncated");
			goto bad;
		}
		got += (size_t)n;
	}
	if (sp_manifest_parse(buf, got, max_size, &r->m, r->err, sizeof r->err) != 0) {
		r->code = SP_EX_DATAERR;
		snprintf(err, errlen, "%s", r->err);
		goto bad;
	}
	r->mtext = buf;
	r->mlen = got;
	*rp = r;
	return 0;
bad:
	free(buf);
	t = r->code ? r->code : SP_EX_DATAERR;
	sp_areader_free(r);
	return t;
}

const struct sp_manifest *
sp_areader_manifest(struct sp_areader *r)
{
	return &r->m;
}

const char *
sp_areader_manifest_text(struct sp_areader *r, size_t *len)
{
	*len = r->mlen;
	return r->mtext;
}

int
sp_areader_data(struct sp_areader *r, const void **p, size_t *n, char *err, size_t errlen)
{
	la_int64_t off;
	char hex[SP_HEXLEN];
	int t;

	if (r->code)
		return fail(r, r->code, err, errlen, "%s", r->err);
	*n = 0;
	if (!r->cur)
		return 0;
	t = archive_read_data_block(r->a, p, n, &off);
	if (t == ARCHIVE_EOF) {
		struct sp_mfile *f = r->cur;

		*n = 0;
		r->cur = NULL;
		sp_sha256_final(&r->h, hex);
		if (r->plain && r->got == f->size) {
			memcpy(f->sha256, hex, SP_HEXLEN);
			return 0;
		}
		if (r->got != f->size)
			return fail(r, SP_EX_DATAERR, err, errlen, "%s: holds %lld bytes, the manifest says %lld",
			    r->name, r->got, f->size);
		if (strcmp(hex, f->sha256))
			return fail(r, SP_EX_DATAERR, err, errlen, "%s: SHA-256 differs from the manifest", r->name);
		return 0;
	}
	if (t != ARCHIVE_OK)
		return fail_la(r, r->name, err, errlen);
	if (off != r->got)
		return fail(r, SP_EX_DATAERR, err, errlen, "%s: sparse data is refused", r->name);
	if (*n > (size_t)(r->cur->size - r->got))
		return fail(r, SP_EX_DATAERR, err, errlen, "%s: longer than the manifest says", r->name);
	sp_sha256_update(&r->h, *p, *n);
	r->got += (long long)*n;
	if (*n == 0)	/* an empty block is not the end: ask again */
		return sp_areader_data(r, p, n, err, errlen);
	return 0;
}

/* ---- plain tarballs: no manifest inside, one built on the way ---- */

static int
mcmp(const void *x, const void *y)
{
	const struct sp_mfile *a = x, *b = y;

	return strcmp(a->path, b->path);
}

/* Check and take one entry of a plain tarball (r->path, header ae): the
 * same rules a manifest enforces, applied to the names seen so far. */
static int
plain_entry(struct sp_areader *r, struct archive_entry *ae, struct sp_aentry *e, char *err,
    size_t errlen)
{
	int type = archive_entry_filetype(ae);
	char *p = r->path, *s, pre[256];
	struct sp_kent *k;
	struct sp_mfile *f;
	const char *target, *why;

	/* every parent is a directory, never a file or symlink of the archive */
	for (s = p; (s = strchr(s, '/')); s++) {
		k = sp_keytab_find(&r->names, p, (size_t)(s - p));
		if (k && k->val != NAME_DIR) {
			*s = '\0';
			printable(p, pre, sizeof pre);
			*s = '/';
			return fail(r, SP_EX_DATAERR, err, errlen, "%s: %s %s", r->name, k->val == NAME_LINK ?
			    "would be written through the symlink" : "lies below the file", pre);
		}
		if (!k) {
			sp_keytab_add(&r->names, p, (size_t)(s - p), NAME_DIR);
			r->mest += (size_t)(s - p) + 64;	/* names held count too */
		}
	}
	k = sp_keytab_find(&r->names, p, strlen(p));
	e->path = p;
	e->mtime = archive_entry_mtime(ae);
	e->file = NULL;
	if (type == AE_IFDIR) {
		if (k && k->val != NAME_DIR)
			return fail(r, SP_EX_DATAERR, err, errlen, "%s: a directory and a file of the same name", r->name);
		if (!k) {
			sp_keytab_add(&r->names, p, strlen(p), NAME_DIR);
			r->mest += strlen(p) + 64;
		}
		if (r->mest > (size_t)SP_MANIFEST_MAX)
			return fail(r, SP_EX_DATAERR, err, errlen, "%s: too many names for one archive (over %lld bytes of them)",
			    r->name, SP_MANIFEST_MAX);
		e->kind = SP_AE_DIR;
		return 0;
	}
	if (k)
		return fail(r, SP_EX_DATAERR, err, errlen, k->val == NAME_DIR ?
		    "%s: a file where the archive has a directory" : "%s: duplicate entry", r->name);
	/* a bound on memory: what the manifest of these names would take */
	r->mest += 2 * strlen(p) + 128;
	if (r->mest > (size_t)SP_MANIFEST_MAX)
		return fail(r, SP_EX_DATAERR, err, errlen, "%s: too many files for one archive (its manifest would pass %lld bytes)",
		    r->name, SP_MANIFEST_MAX);
	if (r->m.n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 64;
		r->m.v = sp_realloc(r->m.v, r->cap * sizeof *r->m.v);
	}
	f = &r->m.v[r->m.n++];
	memset(f, 0, sizeof *f);
	f->path = sp_strdup(p);
	f->seen = 1;
	f->mtime = e->mtime;
	f->mode = archive_entry_perm(ae) & 0111 ? 0755 : 0644;	/* as sp-pack writes files */
	if (e->mtime > r->newest)
		r->newest = e->mtime;
	sp_keytab_add(&r->names, p, strlen(p), type == AE_IFLNK ? NAME_LINK : NAME_FILE);
	e->file = f;
	if (type == AE_IFLNK) {
		if (!(target = archive_entry_symlink_utf8(ae)))
			target = archive_entry_symlink(ae);
		if (!target)
			return fail(r, SP_EX_DATAERR, err, errlen, "%s: a symlink without a target", r->name);
		if (!sp_utf8_valid(target, strlen(target)))
			return fail(r, SP_EX_DATAERR, err, errlen, "%s: symlink target is not valid UTF-8", r->name);
		if ((why = sp_link_unsafe(p, target)))
			return fail(r, SP_EX_DATAERR, err, errlen, "%s: %s", r->name, why);
		f->link = sp_strdup(target);
		f->mode = 0777;
		sp_sha256_hex(target, strlen(target), f->sha256);
		e->kind = SP_AE_LINK;
		return 0;
	}
	if (!archive_entry_size_is_set(ae) || archive_entry_size(ae) < 0)
		return fail(r, SP_EX_DATAERR, err, errlen, "%s: no size in its header", r->name);
	f->size = archive_entry_size(ae);
	if (f->size > r->max - r->m.total)
		return fail(r, SP_EX_DATAERR, err, errlen, "%s: the files add up to more than the size limit of %lld bytes",
		    r->name, r->max);
	r->m.total += f->size;
	r->cur = f;
	r->got = 0;
	sp_sha256_init(&r->h);
	e->kind = SP_AE_FILE;
	return 0;
}

/* The end of a plain tarball: its manifest, built and checked by the
 * parser every manifest goes through. -1 (the end), or an exit status. */
static int
plain_finish(struct sp_areader *r, char *err, size_t errlen)
{
	struct sp_manifest m;
	char sum[SP_HEXLEN], *text;
	size_t i, len;

	if (r->m.n)
		qsort(r->m.v, r->m.n, sizeof *r->m.v, mcmp);
	if (!(text = sp_manifest_text(r->m.v, r->m.n, r->newest, &len, sum)))
		return fail(r, SP_EX_SOFTWARE, err, errlen, "archive: cannot serialize its manifest");
	if (sp_manifest_parse(text, len, r->max, &m, r->err, sizeof r->err) != 0) {
		free(text);
		r->code = SP_EX_DATAERR;
		snprintf(err, errlen, "%s", r->err);
		return r->code;
	}
	for (i = 0; i < m.n; i++) {
		m.v[i].seen = 1;
		m.v[i].mtime = r->m.v[i].mtime;
	}
	sp_manifest_free(&r->m);
	r->m = m;
	r->mtext = text;
	r->mlen = len;
	return -1;
}

int
sp_areader_next(struct sp_areader *r, struct sp_aentry *e, char *err, size_t errlen)
{
	struct archive_entry *ae;
	struct sp_mfile *f;
	const struct sp_mfile *pre;
	const void *p;
	size_t n, i;
	int t;

	if (r->code)
		return fail(r, r->code, err, errlen, "%s", r->err);
	while (r->cur)
		if ((t = sp_areader_data(r, &p, &n, err, errlen)) != 0)
			return t;
	for (;;) {
		if (r->pend) {
			t = r->pend < 0 ? -1 : 0;
			ae = r->pae;
			r->pend = 0;
		} else {
			t = header(r, &ae, err, errlen);
		}
		if (t > 0)
			return t;
		if (t < 0)
			break;
		if (archive_entry_filetype(ae) == AE_IFDIR && !strcmp(r->path, "."))
			continue;	/* the root itself */
		if (archive_entry_filetype(ae) == AE_IFDIR && ++r->ndirs > SP_ARCHIVE_MAX_DIRS)
			return fail(r, SP_EX_DATAERR, err, errlen, "%s: more than %d directory entries", r->name,
			    SP_ARCHIVE_MAX_DIRS);
		if (!strcmp(r->path, SP_MANIFEST_NAME))
			return fail(r, SP_EX_DATAERR, err, errlen, r->plain ?
			    "%s: the manifest must be the first entry" : "%s: a second manifest", r->name);
		if (r->plain)
			return plain_entry(r, ae, e, err, errlen);
		f = sp_manifest_find(&r->m, r->path);
		if ((pre = sp_manifest_prefix(&r->m, r->path)))
			return fail(r, SP_EX_DATAERR, err, errlen, "%s: %s %s", r->name,
			    pre->link ? "would be written through the symlink" : "lies below the file", pre->path);
		e->path = r->path;
		e->mtime = archive_entry_mtime(ae);
		e->file = f;
		if (archive_entry_filetype(ae) == AE_IFDIR) {
			if (f)
				return fail(r, SP_EX_DATAERR, err, errlen, "%s: a directory in the archive, a file in the manifest", r->name);
			e->kind = SP_AE_DIR;
			return 0;
		}
		if (!f)
			return fail(r, SP_EX_DATAERR, err, errlen, "%s: not listed in the manifest", r->name);
		if (f->seen)
			return fail(r, SP_EX_DATAERR, err, errlen, "%s: duplicate entry", r->name);
		f->seen = 1;
		f->mtime = e->mtime;
		if (archive_entry_filetype(ae) == AE_IFLNK) {
			const char *target = archive_entry_symlink_utf8(ae);

			if (!target)
				target = archive_entry_symlink(ae);
			if (!f->link)
				return fail(r, SP_EX_DATAERR, err, errlen, "%s: a symlink in the archive, a file in the manifest", r->name);
			if (!target || strcmp(target, f->link))
				return fail(r, SP_EX_DATAERR, err, errlen, "%s: symlink target differs from the manifest", r->name);
			e->kind = SP_AE_LINK;
			return 0;
		}
		if (f->link)
			return fail(r, SP_EX_DATAERR, err, errlen, "%s: a file in the archive, a symlink in the manifest", r->name);
		if (!archive_entry_size_is_set(ae) || archive_entry_size(ae) != f->size)
			return fail(r, SP_EX_DATAERR, err, errlen, "%s: size %lld differs from the manifest's %lld",
			    r->name, (long long)archive_entry_size(ae), f->size);
		r->cur = f;
		r->got = 0;
		sp_sha256_init(&r->h);
		e->kind = SP_AE_FILE;
		return 0;
	}
	/* the tar end: the gzip stream must end cleanly too */
	for (;;) {
		ssize_t k = sp_gzr_read(r->gz, &p);
		if (k == 0)
			break;
		if (k < 0) {
			const char *m = sp_gzr_error(r->gz, &t);
			return fail(r, t, err, errlen, "archive: %s", m);
		}
	}
	if (r->plain)
		return plain_finish(r, err, errlen);
	for (i = 0; i < r->m.n && !r->partial; i++)
		if (!r->m.v[i].seen) {
			printable(r->m.v[i].path, r->name, sizeof r->name);
			return fail(r, SP_EX_DATAERR, err, errlen, "%s: listed in the manifest, missing from the archive", r->name);
		}
	return -1;
}

void
sp_areader_free(struct sp_areader *r)
{
	if (!r)
		return;
	if (r->cur)
		sp_sha256_free(&r->h);
	archive_read_free(r->a);
	sp_gzr_free(r->gz);
	sp_manifest_free(&r->m);
	sp_keytab_free(&r->names);
	free(r->mtext);
	free(r->path);
	free(r);
}

int
sp_archive_verify_fd_text(int fd, long long max_size, json_t **manifest, char **text, size_t *len,
    char *err, size_t errlen)
{
	return sp_archive_verify_fd_opt(fd, max_size, 0, manifest, text, len, NULL, err, errlen);
}

int
sp_archive_verify_fd_opt(int fd, long long max_size, int flags, json_t **manifest, char **text,
    size_t *len, int *plain, char *err, size_t errlen)
{
	struct sp_areader *r;
	struct sp_aentry e;
	int t;

	*manifest = NULL;
	if (text)
		*text = NULL;
	if ((t = sp_areader_open_opt(fd, max_size, flags, &r, err, errlen)) != 0)
		return t;
	if (plain)
		*plain = r->plain;
	while ((t = sp_areader_next(r, &e, err, errlen)) == 0)
		;
	if (t < 0) {
		json_object_set_new(r->m.doc, "file_count", json_integer((json_int_t)r->m.n));
		*manifest = json_incref(r->m.doc);
		if (text) {
			*text = r->mtext;	/* handed over */
			*len = r->mlen;
			r->mtext = NULL;
		}
		t = 0;
	}
	sp_areader_free(r);
	return t;
}

int
sp_archive_verify_fd(int fd, long long max_size, json_t **manifest, char *err, size_t errlen)
{
	return sp_archive_verify_fd_text(fd, max_size, manifest, NULL, NULL, err, errlen);
}

/* ---- writer ---- */

#define WBUF (1024 * 1024)

struct sp_awriter {
	struct archive *a;
	struct sp_gzw *gz;
	int werr;		/* errno of a failed write */
	unsigned char *buf;
};

static la_ssize_t
wr(struct archive *a, void *ud, const void *p, size_t n)
{
	struct sp_awriter *w = ud;

	if (sp_gzw_write(w->gz, p, n) != 0) {
		w->werr = errno;
		archive_set_error(a, errno, "write error");
		return -1;
	}
	return (la_ssize_t)n;
}

struct sp_awriter *
sp_awriter_new(int fd, int level, int threads)
{
	struct sp_awriter *w = sp_calloc(1, sizeof *w);

	w->gz = sp_gzw_new(fd, level, threads);
	w->buf = sp_malloc(WBUF);
	w->a = archive_write_new();
	/* GNU tar format: names are written as raw bytes (UTF-8, checked by
	 * the caller) with no locale conversion, long ones as GNU long names */
	if (!w->a || archive_write_set_format_gnutar(w->a) != ARCHIVE_OK ||
	    archive_write_open(w->a, w, NULL, wr, NULL) != ARCHIVE_OK)
		sp_fatal("libarchive cannot start a tar stream");
	return w;
}

static int
werror(struct sp_awriter *w, const char *path, char *err, size_t errlen)
{
	if (w->werr)
		snprintf(err, errlen, "write error: %s", strerror(w->werr));
	else
		snprintf(err, errlen, "%s: %s", path, archive_error_string(w->a));
	return SP_EX_IOERR;
}

static int
put_header(struct sp_awriter *w, const char *path, int type, unsigned mode, long long mtime,
    long long size, const char *target, char *err, size_t errlen)
{
	struct archive_entry *e = archive_entry_new();
	int t;

	archive_entry_copy_pathname(e, path);
	archive_entry_set_filetype(e, (unsigned)type);
	archive_entry_set_perm(e, mode);
	archive_entry_set_size(e, size);
	archive_entry_set_mtime(e, (time_t)mtime, 0);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	if (target)
		archive_entry_copy_symlink(e, target);
	t = archive_write_header(w->a, e);
	archive_entry_free(e);
	return t == ARCHIVE_OK ? 0 : werror(w, path, err, errlen);
}

static int
put_data(struct sp_awriter *w, const char *path, const void *p, size_t n, char *err, size_t errlen)
{
	if (n && archive_write_data(w->a, p, n) != (la_ssize_t)n)
		return werror(w, path, err, errlen);
	return 0;
}

int
sp_awriter_file(struct sp_awriter *w, const char *path, unsigned mode, long long mtime,
    long long size, int src, const char *name, char *hex, char *err, size_t errlen)
{
	long long left = size;
	sp_sha256 h;
	ssize_t n;
	int t;

	if ((t = put_header(w, path, AE_IFREG, mode, mtime, size, NULL, err, errlen)))
		return t;
	sp_sha256_init(&h);
	for (;;) {
		size_t want = left > 0 ? (left < WBUF ? (size_t)left : WBUF) : 1;

		n = read(src, w->buf, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "%s: read error: %s", name, strerror(errno));
			sp_sha256_free(&h);
			return SP_EX_IOERR;
		}
		if (left == 0 && n == 0)
			break;
		if (n == 0 || left == 0) {
			snprintf(err, errlen, "%s: changed while packing (%s than its record says)", name,
			    n == 0 ? "shorter" : "longer");
			sp_sha256_free(&h);
			return SP_EX_DATAERR;
		}
		sp_sha256_update(&h, w->buf, (size_t)n);
		if ((t = put_data(w, path, w->buf, (size_t)n, err, errlen))) {
			sp_sha256_free(&h);
			return t;
		}
		left -= n;
	}
	sp_sha256_final(&h, hex);
	return 0;
}

int
sp_awriter_link(struct sp_awriter *w, const char *path, const char *target, long long mtime,
    char *err, size_t errlen)
{
	return put_header(w, path, AE_IFLNK, 0777, mtime, 0, target, err, errlen);
}

int
sp_awriter_stream(struct sp_awriter *w, const char *path, unsigned mode, long long mtime,
    long long size, char *err, size_t errlen)
{
	return put_header(w, path, AE_IFREG, mode, mtime, size, NULL, err, errlen);
}

int
sp_awriter_data(struct sp_awriter *w, const char *path, const void *p, size_t n, char *err,
    size_t errlen)
{
	return put_data(w, path, p, n, err, errlen);
}

int
sp_awriter_dir(struct sp_awriter *w, const char *path, long long mtime, char *err, size_t errlen)
{
	return put_header(w, path, AE_IFDIR, 0755, mtime, 0, NULL, err, errlen);
}

int
sp_awriter_buf(struct sp_awriter *w, const char *path, unsigned mode, long long mtime,
    const void *p, size_t n, char *err, size_t errlen)
{
	int t = put_header(w, path, AE_IFREG, mode, mtime, (long long)n, NULL, err, errlen);

	return t ? t : put_data(w, path, p, n, err, errlen);
}

int
sp_awriter_close(struct sp_awriter *w, char *hex, long long *size, char *err, size_t errlen)
{
	int t = 0;

	if (archive_write_close(w->a) != ARCHIVE_OK)
		t = werror(w, "archive", err, errlen);
	archive_write_free(w->a);
	w->a = NULL;
	if (t) {
		sp_gzw_abort(w->gz);
	} else if (sp_gzw_close(w->gz, hex, size) != 0) {
		snprintf(err, errlen, "write error: %s", strerror(errno));
		t = SP_EX_IOERR;
	}
	free(w->buf);
	free(w);
	return t;
}

void
sp_awriter_abort(struct sp_awriter *w)
{
	if (!w)
		return;
	archive_write_fail(w->a);
	archive_write_free(w->a);
	sp_gzw_abort(w->gz);
	free(w->buf);
	free(w);
}
