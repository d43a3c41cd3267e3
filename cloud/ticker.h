/* ticker.h - a thread that calls one function every so often until it is
 * stopped: the watchdogs of sp-cloudd (the connection guard, the pool's
 * checkout deadline, the database probe) each are one. */
#ifndef SP_CLOUD_TICKER_H
#define SP_CLOUD_TICKER_H

struct cloud_ticker;

/* Call fn(arg) every period seconds on a thread of its own (fn does its
 * own locking); NULL when the thread cannot start. */
struct cloud_ticker *cloud_ticker_start(double period, void (*fn)(void *), void *arg);

/* Wake the thread, wait for it to end (a call in progress finishes),
 * free t. NULL is fine. */
void cloud_ticker_stop(struct cloud_ticker *t);

#endif
