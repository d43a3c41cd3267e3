/* pmap.c - ordered parallel map over a stream of items. */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/err.h"
#include "core/pmap.h"

#define BATCH 16	/* items queued before idle workers are woken */

struct slot {
	void *item;
	int done;
};

struct pm {
	const struct sp_pmap_ops *ops;
	void *ctx;
	struct slot *ring;
	size_t window;
	size_t head, next, tail;	/* deliver < claim < fill, as counters */
	int eof, quit;
	int idle;		/* workers waiting for work */
	int waiting;		/* the calling thread waits for the head item */
	pthread_mutex_t mu;
	pthread_cond_t work, done;
};

static void *
worker(void *arg)
{
	struct pm *p = arg;
	void *tls = p->ops->thread_start ? p->ops->thread_start(p->ctx) : NULL;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (p->next == p->tail && !p->quit) {
			p->idle++;
			pthread_cond_wait(&p->work, &p->mu);
			p->idle--;
		}
		if (p->next == p->tail)
			break;
		struct slot *s = &p->ring[p->next++ % p->window];
		pthread_mutex_unlock(&p->mu);
		p->ops->work(s->item, p->ctx, tls);
		pthread_mutex_lock(&p->mu);
		s->done = 1;
		if (p->waiting)	/* wake the caller only when it is waiting */
			pthread_cond_signal(&p->done);
	}
	pthread_mutex_unlock(&p->mu);
	if (p->ops->thread_end)
		p->ops->thread_end(tls);
	return NULL;
}

/* Deliver finished items at the head; with wait, block for at least one. */
static void
deliver(struct pm *p, int wait)
{
	for (;;) {
		pthread_mutex_lock(&p->mu);
		while (wait && p->head < p->tail && !p->ring[p->head % p->window].done) {
			if (p->idle && p->next < p->tail)
				pthread_cond_broadcast(&p->work);
			p->waiting = 1;
			pthread_cond_wait(&p->done, &p->mu);
			p->waiting = 0;
		}
		if (p->head == p->tail || !p->ring[p->head % p->window].done) {
			pthread_mutex_unlock(&p->mu);
			return;
		}
		struct slot *s = &p->ring[p->head % p->window];
		pthread_mutex_unlock(&p->mu);
		p->ops->consume(s->item, p->ctx);
		pthread_mutex_lock(&p->mu);
		p->head++;
		pthread_mutex_unlock(&p->mu);
		wait = 0;
	}
}

void
sp_pmap_run(const struct sp_pmap_ops *ops, void *ctx, int threads, size_t window)
{
	struct pm p = {.ops = ops, .ctx = ctx, .window = window ? window : 1};
	pthread_t *tid;
	int i;

	if (threads < 1)
		threads = 1;
	p.ring = sp_calloc(p.window, sizeof *p.ring);
	tid = sp_calloc((size_t)threads, sizeof *tid);
	pthread_mutex_init(&p.mu, NULL);
	pthread_cond_init(&p.work, NULL);
	pthread_cond_init(&p.done, NULL);
	for (i = 0; i < threads; i++)
		if (pthread_create(&tid[i], NULL, worker, &p) != 0)
			sp_die(SP_EX_SOFTWARE, "cannot start a worker thread");
	while (!p.eof || p.head < p.tail) {
		if (!p.eof && p.tail - p.head < p.window) {
			void *item = ops->produce(ctx);
			if (!item) {
				p.eof = 1;
				pthread_mutex_lock(&p.mu);
				pthread_cond_broadcast(&p.work);
				pthread_mutex_unlock(&p.mu);
			} else {
				pthread_mutex_lock(&p.mu);
				struct slot *s = &p.ring[p.tail % p.window];
				s->item = item;
				s->done = 0;
				p.tail++;
				/* Wake workers in batches: a wake-up per cheap item
				 * costs more than the item. */
				if (p.idle && (p.tail - p.next >= BATCH || p.tail - p.head == p.window))
					pthread_cond_broadcast(&p.work);
				pthread_mutex_unlock(&p.mu);
			}
			deliver(&p, 0);
		} else {
			deliver(&p, 1);
		}
	}
	pthread_mutex_lock(&p.mu);
	p.quit = 1;
	pthread_cond_broadcast(&p.work);
	pthread_mutex_unlock(&p.mu);
	for (i = 0; i < threads; i++)
		pthread_join(tid[i], NULL);
	pthread_mutex_destroy(&p.mu);
	pthread_cond_destroy(&p.work);
	pthread_cond_destroy(&p.done);
	free(tid);
	free(p.ring);
}

int
sp_ncpu(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (int)n : 1;
}
