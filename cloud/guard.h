/* guard.h - the connection guard of sp-cloudd: a deadline for the request
 * headers and a minimum rate for request bodies, enforced by a watchdog
 * thread that shuts down the socket of a connection past either (the
 * 120 s idle timeout of libmicrohttpd counts only silence, and a client
 * sending a byte now and then would hold a connection slot for ever). */
#ifndef SP_CLOUD_GUARD_H
#define SP_CLOUD_GUARD_H

#include <stddef.h>

#include <microhttpd.h>

struct cloud_guard;
struct cloud_conn;

/* A guard cutting headers not complete within header_timeout seconds and
 * bodies slower than min_rate bytes/s over rate_time seconds (0: off),
 * logging each cut on stderr unless quiet; its thread runs at once. NULL
 * when the thread cannot start. */
struct cloud_guard *cloud_guard_start(int header_timeout, long long min_rate, int rate_time,
    int quiet);

/* Stop the thread and free the guard (after the daemon has stopped). */
void cloud_guard_stop(struct cloud_guard *g);

/* MHD_OPTION_NOTIFY_CONNECTION callback (cls: the guard): a connection
 * opens (it is watched for its headers) or closes (forgotten). */
void cloud_guard_notify(void *cls, struct MHD_Connection *con, void **socket_context,
    enum MHD_ConnectionNotificationCode code);

/* The connection of con as the guard knows it, or NULL. */
struct cloud_conn *cloud_guard_conn(struct MHD_Connection *con);

/* The headers of a request are in: its body is watched for the rate. */
void cloud_guard_headers(struct cloud_conn *c);

/* n more body bytes arrived. */
void cloud_guard_body(struct cloud_conn *c, size_t n);

/* The body is complete: nothing is watched while the request is served. */
void cloud_guard_busy(struct cloud_conn *c);

/* The request ended: the connection waits for the next one's headers. */
void cloud_guard_next(struct cloud_conn *c);

#endif
