/* httpbody.c - request bodies that a retry can send again from the start:
 * memory, a seekable file, or a stream copied to a spool as it is sent. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/http_int.h"
#include "core/err.h"
void
sp_http_body_mem(struct sp_http_body *b, const void *p, size_t n)
{
	memset(b, 0, sizeof *b);
	b->kind = SP_BODY_MEM;
	b->mem = p;
	b->memlen = n;
	b->size = (long long)n;
	b->fd = -1;
}

void
sp_http_body_fd(struct sp_http_body *b, int fd, long long size)
{
	memset(b, 0, sizeof *b);
	b->kind = SP_BODY_FD;
	b->fd = fd;
	b->size = size;
}

int
sp_http_spool(void)
{
	const char *dir = getenv("TMPDIR");
	char *tmpl;
	int fd;

	if (!dir || !*dir)
		dir = "/tmp";
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0) {
		tmpl = sp_asprintf("%s/%s.sp-tmp.XXXXXX", dir, sp_prog);
		fd = mkostemp(tmpl, O_CLOEXEC);
		if (fd >= 0)
			unlink(tmpl);
		free(tmpl);
	}
	if (fd < 0)
		sp_die_errno(SP_EX_CANTCREAT, "cannot create a spool file in %s", dir);
	return fd;
}

void
sp_http_body_stream(struct sp_http_body *b, FILE *in)
{
	memset(b, 0, sizeof *b);
	b->kind = SP_BODY_STREAM;
	b->in = in;
	b->size = -1;
	b->fd = sp_http_spool();
}

void
sp_http_body_hash(struct sp_http_body *b)
{
	b->hash = 1;
	sp_sha256_init(&b->sha);
}

const char *
sp_http_body_sha256(struct sp_http_body *b)
{
	return b->hex[0] ? b->hex : NULL;
}

void
sp_http_body_done(struct sp_http_body *b)
{
	if (b->kind == SP_BODY_STREAM && b->fd >= 0)
		close(b->fd);
	if (b->hash && !b->hex[0])
		sp_sha256_free(&b->sha);
	b->hash = 0;
	b->fd = -1;
}

/* Read up to n bytes at b->off; the count, 0 at the end, -1 with b->err. */
static ssize_t
body_read(struct sp_http_body *b, char *buf, size_t n)
{
	ssize_t r;

	switch (b->kind) {
	case SP_BODY_MEM:
		r = (ssize_t)((size_t)b->off < b->memlen ? b->memlen - (size_t)b->off : 0);
		if ((size_t)r > n)
			r = (ssize_t)n;
		memcpy(buf, b->mem + b->off, (size_t)r);
		break;
	case SP_BODY_FD:
		if (b->off >= b->size) {
			r = 0;
			break;
		}
		if ((long long)n > b->size - b->off)
			n = (size_t)(b->size - b->off);
		do
			r = pread(b->fd, buf, n, b->off);
		while (r < 0 && errno == EINTR);
		if (r == 0) {	/* shorter than it was */
			b->err = EIO;
			return -1;
		}
		break;
	default:
		if (b->off < b->spooled) {
			if ((long long)n > b->spooled - b->off)
				n = (size_t)(b->spooled - b->off);
			do
				r = pread(b->fd, buf, n, b->off);
			while (r < 0 && errno == EINTR);
		} else if (b->eof) {
			r = 0;
		} else {
			r = (ssize_t)fread(buf, 1, n, b->in);
			if (r == 0 && ferror(b->in)) {
				b->err = errno ? errno : EIO;
				return -1;
			}
			if (r == 0)
				b->eof = 1;
			else if (pwrite(b->fd, buf, (size_t)r, b->spooled) != r) {
				b->err = errno ? errno : ENOSPC;
				return -1;
			} else
				b->spooled += r;
		}
	}
	if (r < 0) {
		b->err = errno;
		return -1;
	}
	if (b->hash && !b->hex[0] && b->off == b->hashed) {
		sp_sha256_update(&b->sha, buf, (size_t)r);
		b->hashed += r;
		if (b->size >= 0 ? b->hashed == b->size : r == 0)
			sp_sha256_final(&b->sha, b->hex);
	}
	b->off += r;
	return r;
}

size_t
sp_http_read_cb(char *buf, size_t size, size_t nitems, void *arg)
{
	struct sp_http_body *b = arg;
	ssize_t r = body_read(b, buf, size * nitems);

	return r < 0 ? CURL_READFUNC_ABORT : (size_t)r;
}

int
sp_http_seek_cb(void *arg, curl_off_t off, int origin)
{
	struct sp_http_body *b = arg;

	if (origin != SEEK_SET || off < 0 || (b->kind == SP_BODY_STREAM && off > b->spooled))
		return CURL_SEEKFUNC_CANTSEEK;
	b->off = off;
	return CURL_SEEKFUNC_OK;
}

void
sp_http_body_settle(struct sp_http_body *b, long long max)
{
	char buf[1 << 16];

	if (b->kind != SP_BODY_STREAM || b->size >= 0)
		return;
	b->off = b->spooled;
	while (!b->eof && body_read(b, buf, sizeof buf) >= 0)
		if (b->spooled > max) {	/* an endless pipe does not fill the disk */
			b->err = EFBIG;
			break;
		}
	if (!b->err)
		b->size = b->spooled;
	b->off = 0;
}
