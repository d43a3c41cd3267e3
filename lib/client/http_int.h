/* http_int.h - what the parts of the HTTP client (http.c, httpconf.c,
 * httpbody.c) share; not for the tools. */
#ifndef SP_HTTP_INT_H
#define SP_HTTP_INT_H

#include <curl/curl.h>

#include "client/http.h"

enum { SP_BODY_MEM = 1, SP_BODY_FD, SP_BODY_STREAM };

struct sp_http {
	CURL *curl;
	struct sp_http_opts o;
	char *base;		/* API root of the tenant: URL/api/v1/cloud/tenants/ID */
	char *shown;		/* base without credentials, for messages */
	char *token;
	int progress;		/* draw a progress line on stderr */
	unsigned long long rng;	/* jitter */
};

/* CURLOPT_READFUNCTION for a struct sp_http_body: its next bytes, or
 * CURL_READFUNC_ABORT with the body's err set. */
size_t sp_http_read_cb(char *buf, size_t size, size_t nitems, void *body);

/* CURLOPT_SEEKFUNCTION for a struct sp_http_body (rewinds for curl). */
int sp_http_seek_cb(void *body, curl_off_t off, int origin);

#endif
