/* http.h - the cloud API client (sp-cloudd(8)) on libcurl, shared by
 * sp-upload, sp-download and sp-deploy: configuration from the environment,
 * timeouts, retries with backoff and jitter, Retry-After, redacted traces,
 * a progress line, and one exit status per failure (sp(7) "EXIT STATUS"). */
#ifndef SP_HTTP_H
#define SP_HTTP_H

#include <getopt.h>
#include <stdio.h>
#include <jansson.h>

#include "core/hash.h"

/* Settings from the command line; zero or NULL means "the default". */
struct sp_http_opts {
	const char *url;	/* --url: overrides SP_API_URL */
	const char *tenant;	/* --tenant: overrides SP_TENANT */
	const char *cacert;	/* --cacert FILE: trust anchors for TLS */
	double connect_timeout;	/* --connect-timeout SECS (default 10) */
	double speed_time;	/* --speed-time SECS (default 30) ... */
	long speed_limit;	/* ... below --speed-limit BYTES/s (default 1K) aborts */
	double max_time;	/* --max-time SECS: deadline of a request, retries
				 * included (default 86400; 0 given: none) */
	int max_time_set;
	long long max_size;	/* --max-size SIZE: largest answer body taken
				 * (default 16G; in memory at most 64M) */
	int attempts;		/* --attempts N (default 5) */
	double retry_delay;	/* --retry-delay SECS: first backoff ... */
	int retry_delay_set;	/* ... when set (else 1) */
	int insecure;		/* --insecure: no TLS peer verification */
	int verbose;		/* -v: trace requests, Authorization redacted */
	int quiet;		/* -q: no progress line, no retry notes */
};

/* getopt codes of the shared long options. */
enum {
	SP_HTTP_OPT_URL = 0x1100, SP_HTTP_OPT_TENANT, SP_HTTP_OPT_CACERT,
	SP_HTTP_OPT_INSECURE, SP_HTTP_OPT_CONNECT_TIMEOUT, SP_HTTP_OPT_SPEED_TIME,
	SP_HTTP_OPT_SPEED_LIMIT, SP_HTTP_OPT_ATTEMPTS, SP_HTTP_OPT_RETRY_DELAY,
	SP_HTTP_OPT_MAX_TIME, SP_HTTP_OPT_MAX_SIZE,
};

/* Answers held in memory (JSON, the manifest) are never taken larger. */
#define SP_HTTP_MAX_ANSWER (64LL << 20)

/* Short options (-v, -q) and long options every client tool accepts. */
#define SP_HTTP_SHORTOPTS "vq"
#define SP_HTTP_LONGOPTS \
	{"url", required_argument, NULL, SP_HTTP_OPT_URL}, \
	{"tenant", required_argument, NULL, SP_HTTP_OPT_TENANT}, \
	{"cacert", required_argument, NULL, SP_HTTP_OPT_CACERT}, \
	{"insecure", no_argument, NULL, SP_HTTP_OPT_INSECURE}, \
	{"connect-timeout", required_argument, NULL, SP_HTTP_OPT_CONNECT_TIMEOUT}, \
	{"speed-time", required_argument, NULL, SP_HTTP_OPT_SPEED_TIME}, \
	{"speed-limit", required_argument, NULL, SP_HTTP_OPT_SPEED_LIMIT}, \
	{"attempts", required_argument, NULL, SP_HTTP_OPT_ATTEMPTS}, \
	{"retry-delay", required_argument, NULL, SP_HTTP_OPT_RETRY_DELAY}, \
	{"max-time", required_argument, NULL, SP_HTTP_OPT_MAX_TIME}, \
	{"max-size", required_argument, NULL, SP_HTTP_OPT_MAX_SIZE}, \
	{"verbose", no_argument, NULL, 'v'}, \
	{"quiet", no_argument, NULL, 'q'}

/* Usage lines for the shared options. */
#define SP_HTTP_USAGE \
    "  --url URL              API base URL (default $SP_API_URL)\n" \
    "  --tenant ID            tenant id (default $SP_TENANT)\n" \
    "  --connect-timeout S    give up connecting after S seconds (default 10)\n" \
    "  --speed-time S         abort a transfer slower than --speed-limit for S\n" \
    "                         seconds (default 30)\n" \
    "  --speed-limit BYTES    bytes per second (default 1K)\n" \
    "  --max-time S           give up a request after S seconds, retries\n" \
    "                         included (default 86400; 0: never)\n" \
    "  --max-size SIZE        refuse an answer larger than SIZE (default 16G;\n" \
    "                         JSON answers and manifests at most 64M)\n" \
    "  --attempts N           at most N attempts per request (default 5)\n" \
    "  --retry-delay S        first backoff delay, doubled each retry (default 1)\n" \
    "  --cacert FILE          trust the CA certificates in FILE\n" \
    "  --insecure             do not verify the server's TLS certificate\n" \
    "  -v, --verbose          trace requests on stderr (token redacted)\n" \
    "  -q, --quiet            no progress line, no retry notes\n" \
    "The token comes from $SP_TOKEN or the file $SP_TOKEN_FILE, never from\n" \
    "the command line.\n"

/* Apply option c with argument arg to o when it is a shared one: returns 1
 * when handled, 0 when c is not a shared option; dies 2 on a bad value. */
int sp_http_option(struct sp_http_opts *o, int c, const char *arg);

/* Usage error for the option getopt_long just refused (call with opterr
 * = 0 on '?' or ':'): names it without any "=value" part, so that a token
 * typed by mistake is not echoed; prints the usage, exits 2. */
void sp_http_bad_option(const char *usage, char **argv) __attribute__((noreturn));

struct sp_http;

/* A client for o plus the environment (SP_API_URL, SP_TENANT, SP_TOKEN or
 * SP_TOKEN_FILE; options win except for the token). Dies 78 naming every
 * missing or invalid setting, without ever printing the token. */
struct sp_http *sp_http_new(const struct sp_http_opts *o);

/* Free the client, wiping the token from memory. */
void sp_http_free(struct sp_http *h);

/* "URL" of the tenant's API root, for messages (no credentials). */
const char *sp_http_base(struct sp_http *h);

/* A request body that every retry can send again from the start. */
struct sp_http_body {
	int kind;		/* internal */
	const char *mem;	/* memory body */
	size_t memlen;
	int fd;			/* seekable file, or the spool of a stream */
	FILE *in;		/* stream body: where bytes come from */
	long long size;		/* -1: unknown (sent chunked) */
	long long off;		/* read position in this attempt */
	long long spooled;	/* stream: bytes copied to the spool */
	int eof;		/* stream: input exhausted */
	int hash;		/* compute the SHA-256 of the body */
	sp_sha256 sha;
	long long hashed;	/* bytes hashed so far (first pass only) */
	char hex[SP_HEXLEN];	/* the SHA-256, once the body was sent whole */
	int err;		/* errno of a read failure */
};

/* Body from memory p[0..n) (kept by the caller until the request ends). */
void sp_http_body_mem(struct sp_http_body *b, const void *p, size_t n);

/* Body from the seekable file fd, size bytes (read with pread). */
void sp_http_body_fd(struct sp_http_body *b, int fd, long long size);

/* Body read from the stream in (a pipe): sent as it arrives, and copied to
 * an unlinked temporary file so that a retry sends it again from the
 * start. Dies 73 when no temporary file can be made. */
void sp_http_body_stream(struct sp_http_body *b, FILE *in);

/* An unlinked temporary file in $TMPDIR (default /tmp) for spooling, open
 * for reading and writing. Dies 73 when none can be made. */
int sp_http_spool(void);

/* A stream body that a first attempt did not send whole is read to its
 * end into the spool, to be sent again with its length known (a server
 * then refuses one over its limit before any byte of it); past max bytes
 * it fails with EFBIG (the request then with 74). */
void sp_http_body_settle(struct sp_http_body *b, long long max);

/* Compute the body's SHA-256 while sending it (sp_http_body_sha256). */
void sp_http_body_hash(struct sp_http_body *b);

/* The body's SHA-256 as hex once it was sent whole, else NULL. */
const char *sp_http_body_sha256(struct sp_http_body *b);

/* Release the spool and the digest. */
void sp_http_body_done(struct sp_http_body *b);

/* Where a response body goes. write returns 0, or -1 with errno set. With
 * reset, a retry calls it and delivers the body again from byte 0; without
 * it, a retry resumes after the bytes already delivered, provided the
 * server's ETag is unchanged (else the request fails with 75). */
struct sp_http_sink {
	int (*write)(void *arg, const void *p, size_t n);
	int (*reset)(void *arg);
	void *arg;
};

struct sp_http_req {
	const char *method;		/* "GET", "POST" ... */
	const char *path;		/* below the tenant root: "/files" */
	const char *content_type;	/* of the body */
	const char *if_none_match;	/* an ETag value (unquoted) */
	const char *header;		/* one more "Name: value" line, or NULL */
	struct sp_http_body *body;	/* NULL: none */
	struct sp_http_sink *sink;	/* NULL: collect into the response */
};

struct sp_http_resp {
	long status;		/* final HTTP status */
	char *etag;		/* unquoted ETag, or NULL */
	char *body;		/* collected body (NUL-terminated), no sink */
	size_t len;
	long long bytes;	/* body bytes delivered */
	int attempts;		/* attempts made */
	double seconds;		/* wall time of the whole request */
};

/* Perform rq against the tenant root, retrying connection errors, resets,
 * timeouts, 429, 502, 503 and 504 with exponential backoff and jitter
 * (honouring Retry-After) up to the attempt limit; redirects are followed
 * without the Authorization header, for a GET only (a request with a body
 * that is redirected fails: it is never re-sent elsewhere). Returns 0 on
 * 2xx or 304, else the exit status with a message in err: 77 for 401/403,
 * 65 for other 4xx (with the server's message), 75 when retries ran out or
 * --max-time passed, 74 when the body could not be read or the sink
 * failed, 69 for an answer over --max-size and other failures. Never
 * dies. */
int sp_http_do(struct sp_http *h, const struct sp_http_req *rq,
    struct sp_http_resp *rs, char *err, size_t errlen);

/* Free what sp_http_do put in rs. */
void sp_http_resp_free(struct sp_http_resp *rs);

/* Parse the body collected in rs (by method on path) as a JSON object into
 * *answer (caller decrefs): 0, or 69 with a message when it is not one. */
int sp_http_answer(struct sp_http *h, const char *method, const char *path,
    const struct sp_http_resp *rs, json_t **answer, char *err, size_t errlen);

/* Send body (NULL: none) as JSON with method to path and parse the answer,
 * a JSON object, into *answer (caller decrefs). Returns as sp_http_do;
 * an answer that is not a JSON object fails with 69. */
int sp_http_json(struct sp_http *h, const char *method, const char *path,
    json_t *body, json_t **answer, char *err, size_t errlen);

#endif
