/* pmap.h - ordered parallel map over a stream of items. */
#ifndef SP_PMAP_H
#define SP_PMAP_H

#include <stddef.h>

struct sp_pmap_ops {
	/* Next item, or NULL at the end; runs in the calling thread. */
	void *(*produce)(void *ctx);
	/* Process one item; runs in a worker thread, must not call sp_die.
	 * tls is what thread_start returned for this worker (or NULL). */
	void (*work)(void *item, void *ctx, void *tls);
	/* Take a finished item, in input order; runs in the calling thread. */
	void (*consume)(void *item, void *ctx);
	/* Optional: per-worker state made when a worker starts (buffers)… */
	void *(*thread_start)(void *ctx);
	/* …and released when it ends. */
	void (*thread_end)(void *tls);
};

/* Run produce -> work (threads workers) -> consume with at most window
 * items in flight, so memory stays bounded whatever the stream length. */
void sp_pmap_run(const struct sp_pmap_ops *ops, void *ctx, int threads, size_t window);

/* The number of online CPUs (at least 1). */
int sp_ncpu(void);

#endif
