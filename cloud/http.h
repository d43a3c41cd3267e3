/* http.h - the libmicrohttpd daemon of sp-cloudd (http.c), as the server
 * (server.c) starts and stops it. */
#ifndef SP_CLOUD_HTTP_H
#define SP_CLOUD_HTTP_H

#include <sys/socket.h>

#include "cloud/server.h"

struct MHD_Daemon;

/* Start serving s on the bound address sa (IPv6 when v6); NULL when
 * libmicrohttpd cannot listen there. */
struct MHD_Daemon *cloud_http_start(struct cloud_server *s, const struct sockaddr *sa, int v6);

/* The port a started daemon listens on (0 if unknown). */
unsigned cloud_http_port(struct MHD_Daemon *d);

/* Stop serving: close the listening socket, wait for the connections. */
void cloud_http_stop(struct MHD_Daemon *d);

#endif
