/* gz.c - gzip streams on zlib: a strict reader and a parallel writer. */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "archive/gz.h"
#include "core/err.h"
#include "core/fsutil.h"

/* ---- reader ---- */

/* A thread inflates ahead into a ring of NBUF buffers while the caller
 * parses and hashes the previous ones; the buffer handed out last stays
 * valid until the next call, as libarchive wants. */
#define GZR_IN (256 * 1024)
#define GZR_OUT (256 * 1024)
#define NBUF 4

long sp_gz_max_ratio = SP_GZ_MAX_RATIO;

struct sp_gzr {
	/* producer side */
	int fd;
	z_stream z;
	unsigned char *in;
	long long limit, in_total, out_total;
	int members;		/* members completed */
	int in_member;		/* inflate has seen bytes of the current member */
	int eof, code;
	char err[256];
	/* the ring */
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	unsigned char *buf[NBUF];
	size_t len[NBUF];
	int head, count, held, finished, stop;
	int threaded;		/* 0: no thread could be started, inflate inline */
	long long handed;	/* bytes handed to the caller */
};

static int __attribute__((format(printf, 3, 4)))
gzr_fail(struct sp_gzr *g, int code, const char *fmt, ...)
{
	va_list ap;

	g->code = code;
	va_start(ap, fmt);
	vsnprintf(g->err, sizeof g->err, fmt, ap);
	va_end(ap);
	return -1;
}

/* Refill the input; 0, or -1 on a read error. Sets eof at the end. The
 * thread may be cancelled only while it waits in read(2). */
static int
gzr_fill(struct sp_gzr *g)
{
	ssize_t n;

	do {
		if (g->threaded)
			pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
		n = read(g->fd, g->in, GZR_IN);
		if (g->threaded)
			pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return gzr_fail(g, SP_EX_IOERR, "read error: %s", strerror(errno));
	if (n == 0)
		g->eof = 1;
	g->in_total += n;
	g->z.next_in = g->in;
	g->z.avail_in = (uInt)n;
	return 0;
}

/* Inflate into out[GZR_OUT]: the byte count, 0 at the clean end, -1 on
 * an error (g->code, g->err). */
static ssize_t
gzr_produce(struct sp_gzr *g, unsigned char *out)
{
	g->z.next_out = out;
	g->z.avail_out = GZR_OUT;
	while (g->z.avail_out == GZR_OUT) {
		int r;

		if (g->z.avail_in == 0) {
			if (g->in_total > g->limit)
				return gzr_fail(g, SP_EX_DATAERR, "compressed data over the size limit of %lld bytes", g->limit);
			if (gzr_fill(g) < 0)
				return -1;
			if (g->eof) {
				if (g->in_member || g->members == 0)
					return gzr_fail(g, SP_EX_DATAERR, "%s",
					    g->members || g->in_member ? "truncated gzip data" : "empty input, not gzip data");
				return 0;
			}
		}
		g->in_member = 1;
		r = inflate(&g->z, Z_NO_FLUSH);
		if (r == Z_STREAM_END) {
			g->members++;
			g->in_member = 0;
			inflateReset(&g->z);
		} else if (r == Z_DATA_ERROR) {
			if (g->members && g->z.total_out == 0)
				return gzr_fail(g, SP_EX_DATAERR, "trailing bytes after the gzip data");
			return gzr_fail(g, SP_EX_DATAERR, "corrupt gzip data (%s)", g->z.msg ? g->z.msg : "data error");
		} else if (r == Z_MEM_ERROR) {
			return gzr_fail(g, SP_EX_SOFTWARE, "out of memory");
		} else if (r != Z_OK && r != Z_BUF_ERROR) {
			return gzr_fail(g, SP_EX_DATAERR, "corrupt gzip data (%s)", g->z.msg ? g->z.msg : "stream error");
		}
	}
	g->out_total += GZR_OUT - g->z.avail_out;
	if (g->out_total > g->limit)
		return gzr_fail(g, SP_EX_DATAERR, "over the size limit of %lld bytes uncompressed", g->limit);
	/* a gzip bomb: a few MB that inflate to GBs of zeros; past the first
	 * SP_GZ_RATIO_FREE bytes, output may be at most ratio times the input */
	if (sp_gz_max_ratio > 0 && g->out_total > SP_GZ_RATIO_FREE &&
	    g->out_total / (g->in_total ? g->in_total : 1) >= sp_gz_max_ratio)
		return gzr_fail(g, SP_EX_DATAERR, "compression ratio over %ld:1 (%lld bytes from %lld;"
		    " a gzip bomb?)", sp_gz_max_ratio, g->out_total, g->in_total);
	return GZR_OUT - g->z.avail_out;
}

static void *
gzr_thread(void *arg)
{
	struct sp_gzr *g = arg;

	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
	pthread_mutex_lock(&g->mu);
	for (;;) {
		int slot;
		ssize_t n;

		while (!g->stop && g->count + (g->held >= 0) >= NBUF)
			pthread_cond_wait(&g->cv, &g->mu);
		if (g->stop)
			break;
		slot = (g->head + g->count) % NBUF;
		pthread_mutex_unlock(&g->mu);
		n = gzr_produce(g, g->buf[slot]);
		pthread_mutex_lock(&g->mu);
		if (n <= 0) {
			g->finished = 1;
			pthread_cond_broadcast(&g->cv);
			break;
		}
		g->len[slot] = (size_t)n;
		g->count++;
		pthread_cond_broadcast(&g->cv);
	}
	pthread_mutex_unlock(&g->mu);
	return NULL;
}

struct sp_gzr *
sp_gzr_new(int fd, long long limit)
{
	struct sp_gzr *g = sp_calloc(1, sizeof *g);
	int i;

	g->fd = fd;
	g->limit = limit;
	g->in = sp_malloc(GZR_IN);
	for (i = 0; i < NBUF; i++)
		g->buf[i] = sp_malloc(GZR_OUT);
	g->held = -1;
	if (inflateInit2(&g->z, 16 + 15) != Z_OK)
		sp_fatal("zlib cannot initialise");
	pthread_mutex_init(&g->mu, NULL);
	pthread_cond_init(&g->cv, NULL);
	/* a busy server may be out of threads: then inflate in the caller */
	g->threaded = 1;	/* before the thread reads it */
	if (pthread_create(&g->th, NULL, gzr_thread, g) != 0)
		g->threaded = 0;
	return g;
}

ssize_t
sp_gzr_read(struct sp_gzr *g, const void **p)
{
	ssize_t n = 0;

	if (!g->threaded) {
		if (g->finished)
			return g->code ? -1 : 0;
		n = gzr_produce(g, g->buf[0]);
		if (n <= 0)
			g->finished = 1;
		else
			g->handed += n;
		*p = g->buf[0];
		return n;
	}
	pthread_mutex_lock(&g->mu);
	if (g->held >= 0) {
		g->held = -1;	/* the caller is done with it */
		pthread_cond_broadcast(&g->cv);
	}
	while (g->count == 0 && !g->finished)
		pthread_cond_wait(&g->cv, &g->mu);
	if (g->count > 0) {
		g->held = g->head;
		g->head = (g->head + 1) % NBUF;
		g->count--;
		*p = g->buf[g->held];
		n = (ssize_t)g->len[g->held];
		g->handed += n;
	} else if (g->code) {
		n = -1;
	}
	pthread_mutex_unlock(&g->mu);
	return n;
}

const char *
sp_gzr_error(struct sp_gzr *g, int *code)
{
	int c;

	pthread_mutex_lock(&g->mu);
	c = g->finished && g->count == 0 ? g->code : 0;	/* reported in stream order */
	pthread_mutex_unlock(&g->mu);
	if (code)
		*code = c;
	return c ? g->err : "";
}

long long
sp_gzr_total(struct sp_gzr *g)
{
	return g->handed;
}

void
sp_gzr_free(struct sp_gzr *g)
{
	int i;

	if (!g)
		return;
	pthread_mutex_lock(&g->mu);
	g->stop = 1;
	pthread_cond_broadcast(&g->cv);
	pthread_mutex_unlock(&g->mu);
	if (g->threaded) {
		pthread_cancel(g->th);	/* takes effect only in a blocked read(2) */
		pthread_join(g->th, NULL);
	}
	pthread_mutex_destroy(&g->mu);
	pthread_cond_destroy(&g->cv);
	inflateEnd(&g->z);
	free(g->in);
	for (i = 0; i < NBUF; i++)
		free(g->buf[i]);
	free(g);
}

/* ---- parallel writer ---- */

#define CHUNK (1024 * 1024)
#define DICT 32768

enum { J_FREE, J_PENDING, J_BUSY, J_DONE };

struct job {
	unsigned char *in, *out, dict[DICT];
	size_t in_len, out_len, out_cap, dict_len;
	unsigned long crc;
	int last, state;
	unsigned long long seq;
};

struct sp_gzw {
	int fd, level, nthreads, nslots, err, stop;
	pthread_t *threads;
	pthread_mutex_t mu;
	pthread_cond_t work, done;
	struct job *slots;
	unsigned long long next_seq;	/* seq of the job being filled */
	unsigned long long write_seq;	/* next seq to write out */
	unsigned long crc;
	unsigned long long isize;
	long long outsize;
	sp_sha256 h;
};

static int
gzw_out(struct sp_gzw *w, const void *p, size_t n)
{
	if (sp_write_all(w->fd, p, n) != 0) {
		w->err = errno;
		return -1;
	}
	sp_sha256_update(&w->h, p, n);
	w->outsize += (long long)n;
	return 0;
}

static void
compress_job(z_stream *z, struct job *j)
{
	deflateReset(z);
	if (j->dict_len)
		deflateSetDictionary(z, j->dict, (uInt)j->dict_len);
	z->next_in = j->in;
	z->avail_in = (uInt)j->in_len;
	z->next_out = j->out;
	z->avail_out = (uInt)j->out_cap;
	/* out_cap is deflateBound plus room for the flush marker: one call does it */
	deflate(z, j->last ? Z_FINISH : Z_SYNC_FLUSH);
	j->out_len = j->out_cap - z->avail_out;
	j->crc = crc32(crc32(0L, Z_NULL, 0), j->in, (uInt)j->in_len);
}

static void *
worker(void *arg)
{
	struct sp_gzw *w = arg;
	z_stream z;

	memset(&z, 0, sizeof z);
	if (deflateInit2(&z, w->level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		abort();
	pthread_mutex_lock(&w->mu);
	for (;;) {
		struct job *j = NULL;
		int i;

		for (i = 0; i < w->nslots; i++)
			if (w->slots[i].state == J_PENDING && (!j || w->slots[i].seq < j->seq))
				j = &w->slots[i];
		if (!j) {
			if (w->stop)
				break;
			pthread_cond_wait(&w->work, &w->mu);
			continue;
		}
		j->state = J_BUSY;
		pthread_mutex_unlock(&w->mu);
		compress_job(&z, j);
		pthread_mutex_lock(&w->mu);
		j->state = J_DONE;
		pthread_cond_broadcast(&w->done);
	}
	pthread_mutex_unlock(&w->mu);
	deflateEnd(&z);
	return NULL;
}

static struct job *
slot(struct sp_gzw *w, unsigned long long seq)
{
	return &w->slots[seq % (unsigned long long)w->nslots];
}

/* Write out finished jobs in order; with wait, block until job upto is
 * written. Returns -1 after a write error. */
static int
drain(struct sp_gzw *w, unsigned long long upto, int wait)
{
	pthread_mutex_lock(&w->mu);
	while (w->write_seq < w->next_seq) {
		struct job *j = slot(w, w->write_seq);

		if (j->state != J_DONE) {
			if (!wait || w->write_seq > upto)
				break;
			pthread_cond_wait(&w->done, &w->mu);
			continue;
		}
		pthread_mutex_unlock(&w->mu);
		if (!w->err) {
			gzw_out(w, j->out, j->out_len);
			w->crc = crc32_combine(w->crc, j->crc, (z_off_t)j->in_len);
		}
		pthread_mutex_lock(&w->mu);
		j->state = J_FREE;
		w->write_seq++;
	}
	pthread_mutex_unlock(&w->mu);
	return w->err ? -1 : 0;
}

struct sp_gzw *
sp_gzw_new(int fd, int level, int threads)
{
	struct sp_gzw *w = sp_calloc(1, sizeof *w);
	unsigned char hdr[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3};
	size_t cap;
	int i;

	w->fd = fd;
	w->level = level;
	w->nthreads = threads < 1 ? 1 : threads;
	w->nslots = 2 * w->nthreads + 2;
	w->slots = sp_calloc((size_t)w->nslots, sizeof *w->slots);
	cap = compressBound(CHUNK) + 64;
	for (i = 0; i < w->nslots; i++) {
		w->slots[i].in = sp_malloc(CHUNK);
		w->slots[i].out = sp_malloc(cap);
		w->slots[i].out_cap = cap;
	}
	w->crc = crc32(0L, Z_NULL, 0);
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->work, NULL);
	pthread_cond_init(&w->done, NULL);
	w->threads = sp_calloc((size_t)w->nthreads, sizeof *w->threads);
	for (i = 0; i < w->nthreads; i++)
		if (pthread_create(&w->threads[i], NULL, worker, w) != 0)
			sp_fatal("cannot start a compression thread");
	sp_sha256_init(&w->h);
	hdr[8] = level == 9 ? 2 : level == 1 ? 4 : 0;
	gzw_out(w, hdr, sizeof hdr);
	return w;
}

/* Hand the job being filled to the workers and start the next one, whose
 * dictionary is the tail of this one. */
static int
submit(struct sp_gzw *w, int last)
{
	struct job *j = slot(w, w->next_seq), *n;

	pthread_mutex_lock(&w->mu);
	j->last = last;
	j->seq = w->next_seq++;
	j->state = J_PENDING;
	pthread_cond_signal(&w->work);
	pthread_mutex_unlock(&w->mu);
	if (last)
		return 0;
	/* the next slot must be free: write out the job that used it last */
	if (w->next_seq >= (unsigned long long)w->nslots &&
	    drain(w, w->next_seq - (unsigned long long)w->nslots, 1) != 0)
		return -1;
	n = slot(w, w->next_seq);
	n->in_len = 0;
	n->dict_len = j->in_len < DICT ? j->in_len : DICT;
	memcpy(n->dict, j->in + j->in_len - n->dict_len, n->dict_len);
	return 0;
}

int
sp_gzw_write(struct sp_gzw *w, const void *p, size_t n)
{
	const unsigned char *c = p;

	if (w->err) {
		errno = w->err;
		return -1;
	}
	w->isize += n;
	while (n) {
		struct job *j = slot(w, w->next_seq);
		size_t k = CHUNK - j->in_len < n ? CHUNK - j->in_len : n;

		memcpy(j->in + j->in_len, c, k);
		j->in_len += k;
		c += k;
		n -= k;
		if (j->in_len == CHUNK && submit(w, 0) != 0) {
			errno = w->err;
			return -1;
		}
	}
	return drain(w, 0, 0);
}

static void
gzw_free(struct sp_gzw *w)
{
	int i;

	pthread_mutex_lock(&w->mu);
	w->stop = 1;
	pthread_cond_broadcast(&w->work);
	pthread_mutex_unlock(&w->mu);
	for (i = 0; i < w->nthreads; i++)
		pthread_join(w->threads[i], NULL);
	for (i = 0; i < w->nslots; i++) {
		free(w->slots[i].in);
		free(w->slots[i].out);
	}
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->work);
	pthread_cond_destroy(&w->done);
	if (w->h.ctx)
		sp_sha256_free(&w->h);
	free(w->threads);
	free(w->slots);
	free(w);
}

int
sp_gzw_close(struct sp_gzw *w, char *hex, long long *size)
{
	unsigned char tr[8];
	int i, e;

	if (!w->err && submit(w, 1) == 0 && drain(w, w->next_seq - 1, 1) == 0) {
		for (i = 0; i < 4; i++) {
			tr[i] = (unsigned char)(w->crc >> (8 * i));
			tr[4 + i] = (unsigned char)(w->isize >> (8 * i));
		}
		gzw_out(w, tr, sizeof tr);
	}
	e = w->err;
	if (!e) {
		sp_sha256_final(&w->h, hex);
		*size = w->outsize;
	}
	gzw_free(w);
	errno = e;
	return e ? -1 : 0;
}

void
sp_gzw_abort(struct sp_gzw *w)
{
	/* let running jobs finish; nothing more is written */
	w->err = w->err ? w->err : ECANCELED;
	drain(w, 0, 0);
	gzw_free(w);
}
