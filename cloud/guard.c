/* guard.c - the header deadline and the minimum body rate of sp-cloudd's
 * connections, enforced by a watchdog thread. Each watched connection
 * holds a dup of its socket, so that shutting it down can never hit a
 * descriptor number that was closed and reused meanwhile. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cloud/guard.h"
#include "cloud/ticker.h"
#include "core/err.h"
#include "core/tstamp.h"

enum { HEAD, BODY, BUSY };

struct cloud_conn {
	struct cloud_guard *g;
	struct cloud_conn *prev, *next;
	int fd;			/* our dup of the socket */
	int state, cut;
	double since;		/* state entered (HEAD), or window start (BODY) */
	long long win;		/* body bytes in this window */
	char addr[INET6_ADDRSTRLEN];
};

struct cloud_guard {
	pthread_mutex_t mu;	/* the list and every conn's state */
	struct cloud_ticker *tick;	/* look(), four times a second */
	struct cloud_conn *head;
	int header_timeout, rate_time, quiet;
	long long min_rate;
};

static void
cut(struct cloud_guard *g, struct cloud_conn *c, const char *why)
{
	char line[256];

	c->cut = 1;
	shutdown(c->fd, SHUT_RDWR);
	if (!g->quiet) {
		snprintf(line, sizeof line, "%s: %s: connection closed: %s\n", sp_prog, c->addr, why);
		if (write(STDERR_FILENO, line, strlen(line)) < 0) {
			/* nowhere left to report it */
		}
	}
}

/* Cut every connection past its header deadline or below the rate. */
static void
look(void *arg)
{
	struct cloud_guard *g = arg;
	double t = sp_monotonic();
	char why[128];

	pthread_mutex_lock(&g->mu);
	for (struct cloud_conn *c = g->head; c; c = c->next) {
		if (c->cut)
			continue;
		if (c->state == HEAD && g->header_timeout && t - c->since > g->header_timeout) {
			snprintf(why, sizeof why, "no complete request headers within %d s",
			    g->header_timeout);
			cut(g, c, why);
		} else if (c->state == BODY && g->min_rate && t - c->since >= g->rate_time) {
			if (c->win < g->min_rate * g->rate_time) {
				snprintf(why, sizeof why, "request body slower than %lld bytes/s over %d s",
				    g->min_rate, g->rate_time);
				cut(g, c, why);
			}
			c->since = t;
			c->win = 0;
		}
	}
	pthread_mutex_unlock(&g->mu);
}

struct cloud_guard *
cloud_guard_start(int header_timeout, long long min_rate, int rate_time, int quiet)
{
	struct cloud_guard *g = sp_calloc(1, sizeof *g);

	g->header_timeout = header_timeout;
	g->min_rate = rate_time > 0 ? min_rate : 0;
	g->rate_time = rate_time > 0 ? rate_time : 1;
	g->quiet = quiet;
	pthread_mutex_init(&g->mu, NULL);
	if (!(g->tick = cloud_ticker_start(0.25, look, g))) {
		pthread_mutex_destroy(&g->mu);
		free(g);
		return NULL;
	}
	return g;
}

void
cloud_guard_stop(struct cloud_guard *g)
{
	if (!g)
		return;
	cloud_ticker_stop(g->tick);
	while (g->head) {	/* none should be left once the daemon stopped */
		struct cloud_conn *c = g->head;
		g->head = c->next;
		close(c->fd);
		free(c);
	}
	pthread_mutex_destroy(&g->mu);
	free(g);
}

void
cloud_guard_notify(void *cls, struct MHD_Connection *con, void **socket_context,
    enum MHD_ConnectionNotificationCode code)
{
	struct cloud_guard *g = cls;
	struct cloud_conn *c;
	const union MHD_ConnectionInfo *ci;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		ci = MHD_get_connection_info(con, MHD_CONNECTION_INFO_CONNECTION_FD);
		c = sp_calloc(1, sizeof *c);
		c->g = g;
		c->fd = ci ? fcntl(ci->connect_fd, F_DUPFD_CLOEXEC, 3) : -1;
		c->state = HEAD;
		c->since = sp_monotonic();
		strcpy(c->addr, "-");
		ci = MHD_get_connection_info(con, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET)
			inet_ntop(AF_INET, &((const struct sockaddr_in *)ci->client_addr)->sin_addr,
			    c->addr, sizeof c->addr);
		else if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET6)
			inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ci->client_addr)->sin6_addr,
			    c->addr, sizeof c->addr);
		if (c->fd < 0) {	/* out of descriptors: this one goes unwatched */
			free(c);
			*socket_context = NULL;
			return;
		}
		pthread_mutex_lock(&g->mu);
		c->next = g->head;
		if (g->head)
			g->head->prev = c;
		g->head = c;
		pthread_mutex_unlock(&g->mu);
		*socket_context = c;
	} else if (code == MHD_CONNECTION_NOTIFY_CLOSED && (c = *socket_context)) {
		pthread_mutex_lock(&g->mu);
		if (c->prev)
			c->prev->next = c->next;
		else
			g->head = c->next;
		if (c->next)
			c->next->prev = c->prev;
		pthread_mutex_unlock(&g->mu);
		close(c->fd);
		free(c);
		*socket_context = NULL;
	}
}

struct cloud_conn *
cloud_guard_conn(struct MHD_Connection *con)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(con,
	    MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci ? ci->socket_context : NULL;
}

static void
set(struct cloud_conn *c, int state)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->g->mu);
	c->state = state;
	c->since = sp_monotonic();
	c->win = 0;
	pthread_mutex_unlock(&c->g->mu);
}

void
cloud_guard_headers(struct cloud_conn *c)
{
	set(c, BODY);
}

void
cloud_guard_busy(struct cloud_conn *c)
{
	set(c, BUSY);
}

void
cloud_guard_next(struct cloud_conn *c)
{
	set(c, HEAD);
}

void
cloud_guard_body(struct cloud_conn *c, size_t n)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->g->mu);
	c->win += (long long)n;
	pthread_mutex_unlock(&c->g->mu);
}
