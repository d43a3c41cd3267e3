/* ticker.c - a thread calling one function every so often (ticker.h). */
#include <pthread.h>
#include <stdlib.h>

#include "cloud/ticker.h"
#include "core/err.h"
#include "core/tstamp.h"

struct cloud_ticker {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t th;
	double period;
	void (*fn)(void *);
	void *arg;
	int stop;
};

static void *
run(void *arg)
{
	struct cloud_ticker *t = arg;
	struct timespec ts;

	pthread_mutex_lock(&t->mu);
	while (!t->stop) {
		sp_deadline(&ts, CLOCK_REALTIME, t->period);
		pthread_cond_timedwait(&t->cv, &t->mu, &ts);
		if (t->stop)
			break;
		pthread_mutex_unlock(&t->mu);
		t->fn(t->arg);
		pthread_mutex_lock(&t->mu);
	}
	pthread_mutex_unlock(&t->mu);
	return NULL;
}

struct cloud_ticker *
cloud_ticker_start(double period, void (*fn)(void *), void *arg)
{
	struct cloud_ticker *t = sp_calloc(1, sizeof *t);

	t->period = period;
	t->fn = fn;
	t->arg = arg;
	pthread_mutex_init(&t->mu, NULL);
	pthread_cond_init(&t->cv, NULL);
	if (pthread_create(&t->th, NULL, run, t) != 0) {
		pthread_mutex_destroy(&t->mu);
		pthread_cond_destroy(&t->cv);
		free(t);
		return NULL;
	}
	return t;
}

void
cloud_ticker_stop(struct cloud_ticker *t)
{
	if (!t)
		return;
	pthread_mutex_lock(&t->mu);
	t->stop = 1;
	pthread_cond_signal(&t->cv);
	pthread_mutex_unlock(&t->mu);
	pthread_join(t->th, NULL);
	pthread_mutex_destroy(&t->mu);
	pthread_cond_destroy(&t->cv);
	free(t);
}
