/* http.c - the cloud API client on libcurl: one request with retries,
 * backoff, redirects without credentials, resumable downloads, traces
 * with the token redacted and a progress line. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client/http_int.h"
#include "core/err.h"
#include "core/tstamp.h"

#define MAX_REDIRECTS 5
#define MAX_RETRY_AFTER 300	/* longer waits asked by a server: give up */
#define MAX_BACKOFF 30.0
#define ERRBODY_MAX 65536

/* State of one attempt. */
struct xfer {
	struct sp_http *h;
	const struct sp_http_req *rq;
	struct sp_http_resp *rs;
	long long resume;	/* bytes already delivered by earlier attempts */
	long long skip;		/* bytes of this response to drop before delivering */
	int started;		/* this attempt delivered (or skipped) body bytes */
	int sink_err, changed;
	int too_big;		/* the answer passed limit */
	long long limit;	/* largest answer body taken */
	double deadline;	/* monotonic time of --max-time, or 0 */
	char *errbody;		/* body of a non-2xx answer */
	size_t errlen;
	char reason[128];	/* status line reason phrase */
	char *etag, *retry_after, *content_range;
	size_t cap;		/* of rs->body */
	double last_draw;
	int drawn;
};

/* ---- responses ---- */

static void
set_str(char **dst, const char *p, size_t n)
{
	free(*dst);
	while (n > 0 && isspace((unsigned char)*p))
		p++, n--;
	while (n > 0 && isspace((unsigned char)p[n - 1]))
		n--;
	*dst = sp_malloc(n + 1);
	memcpy(*dst, p, n);
	(*dst)[n] = '\0';
}

static size_t
header_cb(char *p, size_t size, size_t nitems, void *arg)
{
	struct xfer *x = arg;
	size_t n = size * nitems;

	if (n >= 5 && !strncmp(p, "HTTP/", 5)) {
		/* a new response (after 100 Continue): forget the old headers */
		const char *q = memchr(p, ' ', n);
		size_t m = 0;

		free(x->etag);
		free(x->retry_after);
		free(x->content_range);
		x->etag = x->retry_after = x->content_range = NULL;
		if (q && (q = memchr(q + 1, ' ', n - (size_t)(q + 1 - p)))) {
			q++;	/* the reason phrase */
			m = n - (size_t)(q - p);
			while (m > 0 && isspace((unsigned char)q[m - 1]))
				m--;
			if (m >= sizeof x->reason)
				m = sizeof x->reason - 1;
			for (size_t i = 0; i < m; i++)
				x->reason[i] = isprint((unsigned char)q[i]) ? q[i] : '?';
		}
		x->reason[m] = '\0';
	} else if (n > 5 && !strncasecmp(p, "ETag:", 5)) {
		const char *v = p + 5;
		size_t m = n - 5;
		while (m > 0 && (isspace((unsigned char)*v)))
			v++, m--;
		if (m >= 2 && !strncmp(v, "W/", 2))
			v += 2, m -= 2;
		while (m > 0 && isspace((unsigned char)v[m - 1]))
			m--;
		if (m >= 2 && v[0] == '"' && v[m - 1] == '"')
			v++, m -= 2;
		set_str(&x->etag, v, m);
	} else if (n > 12 && !strncasecmp(p, "Retry-After:", 12)) {
		set_str(&x->retry_after, p + 12, n - 12);
	} else if (n > 14 && !strncasecmp(p, "Content-Range:", 14)) {
		set_str(&x->content_range, p + 14, n - 14);
	}
	return n;
}

static int
deliver(struct xfer *x, const char *p, size_t n)
{
	struct sp_http_resp *rs = x->rs;

	if (rs->bytes + (long long)n > x->limit) {
		x->too_big = 1;
		return -1;
	}
	if (x->rq->sink) {
		if (x->rq->sink->write(x->rq->sink->arg, p, n) != 0) {
			x->sink_err = errno ? errno : EIO;
			return -1;
		}
	} else {
		if (rs->len + n + 1 > x->cap) {
			x->cap = (rs->len + n + 1) * 2;
			rs->body = sp_realloc(rs->body, x->cap);
		}
		memcpy(rs->body + rs->len, p, n);
		rs->len += n;
		rs->body[rs->len] = '\0';
	}
	rs->bytes += (long long)n;
	return 0;
}

static size_t
write_cb(char *p, size_t size, size_t nitems, void *arg)
{
	struct xfer *x = arg;
	size_t n = size * nitems;
	long status = 0;

	curl_easy_getinfo(x->h->curl, CURLINFO_RESPONSE_CODE, &status);
	if (status < 200 || status > 299) {
		size_t m = n;
		if (x->errlen + m > ERRBODY_MAX)
			m = ERRBODY_MAX - x->errlen;
		x->errbody = sp_realloc(x->errbody, x->errlen + m + 1);
		memcpy(x->errbody + x->errlen, p, m);
		x->errlen += m;
		x->errbody[x->errlen] = '\0';
		return n;
	}
	if (!x->started) {
		x->started = 1;
		if (x->resume > 0) {
			/* resuming: the entity must be the one we started on */
			if (!x->etag || !x->rs->etag || strcmp(x->etag, x->rs->etag)) {
				x->changed = 1;
				return 0;
			}
			x->skip = x->resume;
			if (status == 206) {
				long long from = -1;
				if (!x->content_range || sscanf(x->content_range, "bytes %lld-", &from) != 1 ||
				    from > x->resume) {
					x->changed = 1;
					return 0;
				}
				x->skip = x->resume - from;
			}
		} else {
			free(x->rs->etag);
			x->rs->etag = x->etag ? sp_strdup(x->etag) : NULL;
		}
	}
	if (x->skip > 0) {
		size_t d = (long long)n < x->skip ? n : (size_t)x->skip;
		x->skip -= (long long)d;
		if (d < n && deliver(x, p + d, n - d) != 0)
			return 0;
		return n;
	}
	return deliver(x, p, n) == 0 ? n : 0;
}

/* ---- tracing and progress ---- */

static void
trace_lines(const char *prefix, const char *p, size_t n)
{
	while (n > 0) {
		const char *nl = memchr(p, '\n', n);
		size_t m = nl ? (size_t)(nl - p) + 1 : n, l = m;

		while (l > 0 && (p[l - 1] == '\n' || p[l - 1] == '\r'))
			l--;
		if (l > 0) {
			if ((l >= 14 && !strncasecmp(p, "Authorization:", 14)) ||
			    (l >= 20 && !strncasecmp(p, "Proxy-Authorization:", 20))) {
				const char *c = memchr(p, ':', l);
				fprintf(stderr, "%s: %s %.*s: [REDACTED]\n", sp_prog, prefix, (int)(c - p), p);
			} else {
				fprintf(stderr, "%s: %s ", sp_prog, prefix);
				for (size_t i = 0; i < l; i++)
					fputc(isprint((unsigned char)p[i]) ? p[i] : '?', stderr);
				fputc('\n', stderr);
			}
		}
		p += m;
		n -= m;
	}
}

static int
debug_cb(CURL *c, curl_infotype type, char *p, size_t n, void *arg)
{
	(void)c;
	(void)arg;
	switch (type) {
	case CURLINFO_TEXT: trace_lines("*", p, n); break;
	case CURLINFO_HEADER_OUT: trace_lines(">", p, n); break;
	case CURLINFO_HEADER_IN: trace_lines("<", p, n); break;
	default: break;
	}
	return 0;
}

static void
human(char *buf, size_t n, double v)
{
	static const char *unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	int u = 0;

	while (v >= 1024 && u < 4)
		v /= 1024, u++;
	snprintf(buf, n, u ? "%.1f %s" : "%.0f %s", v, unit[u]);
}

static void
draw(struct xfer *x, curl_off_t total, curl_off_t done)
{
	char a[32], b[32], r[32], eta[32] = "";
	curl_off_t speed = 0;
	double rate;

	curl_easy_getinfo(x->h->curl, x->rq->body ? CURLINFO_SPEED_UPLOAD_T : CURLINFO_SPEED_DOWNLOAD_T, &speed);
	rate = (double)speed;
	human(a, sizeof a, (double)done);
	human(r, sizeof r, rate);
	if (total > 0) {
		human(b, sizeof b, (double)total);
		if (rate > 0) {
			long s = (long)((double)(total - done) / rate);
			snprintf(eta, sizeof eta, "  ETA %ld:%02ld", s / 60, s % 60);
		}
		fprintf(stderr, "\r\033[K%s: %s of %s  %s/s%s", sp_prog, a, b, r, eta);
	} else {
		fprintf(stderr, "\r\033[K%s: %s  %s/s", sp_prog, a, r);
	}
	fflush(stderr);
	x->drawn = 1;
}

static int
progress_cb(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	struct xfer *x = arg;
	double t = sp_monotonic();

	if (t - x->last_draw < 0.25)
		return 0;
	x->last_draw = t;
	if (x->rq->body && ulnow > 0)
		draw(x, ultotal, ulnow);
	else if (!x->rq->body && dlnow > 0)
		draw(x, dltotal > 0 ? dltotal + x->resume : 0, dlnow + x->resume);
	return 0;
}

/* ---- the request loop ---- */

static double
jitter(struct sp_http *h)
{
	/* xorshift64*: only for spreading retries, not for secrets */
	h->rng ^= h->rng >> 12;
	h->rng ^= h->rng << 25;
	h->rng ^= h->rng >> 27;
	return (double)((h->rng * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
}

static void
sleep_for(double s)
{
	struct timespec ts = {(time_t)s, (long)((s - floor(s)) * 1e9)};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Seconds asked by a Retry-After value (delta or HTTP date), or -1. */
static double
retry_after(const char *v)
{
	char *end;
	long s;
	time_t t;

	if (!v || !*v)
		return -1;
	errno = 0;
	s = strtol(v, &end, 10);
	if (!errno && end != v && !*end && s >= 0)
		return (double)s;
	t = curl_getdate(v, NULL);
	if (t < 0)
		return -1;
	return t > time(NULL) ? (double)(t - time(NULL)) : 0;
}

/* The server's message from an error body: the "error" (or "message")
 * of a JSON object, else the first line of text; never the token. */
static void
server_message(struct sp_http *h, const char *body, size_t len, char *out, size_t outlen)
{
	json_t *j = body ? json_loadb(body, len, 0, NULL) : NULL;
	const char *m = NULL;
	size_t n, o = 0;

	out[0] = '\0';
	if (json_is_object(j)) {
		m = json_string_value(json_object_get(j, "error"));
		if (!m)
			m = json_string_value(json_object_get(j, "message"));
	}
	if (!m && body && !j)
		m = body;
	if (m) {
		while (isspace((unsigned char)*m))
			m++;
		n = strcspn(m, "\r\n");
		for (size_t i = 0; i < n && o + 4 < outlen && i < 300; i++)
			out[o++] = (unsigned char)m[i] >= 0x20 && m[i] != 0x7f ? m[i] : '?';
		out[o] = '\0';
	}
	json_decref(j);
	/* the server might echo what we sent: never let the token through */
	if (h->token && *h->token) {
		char *p;
		while ((p = strstr(out, h->token))) {
			size_t tl = strlen(h->token), rl = strlen("[REDACTED]");
			if (tl >= rl) {
				memcpy(p, "[REDACTED]", rl);
				memmove(p + rl, p + tl, strlen(p + tl) + 1);
			} else {
				memset(p, '*', tl);
			}
		}
	}
}

static int
retryable_curl(CURLcode c)
{
	switch (c) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_WEIRD_SERVER_REPLY:
		return 1;
	default:
		return 0;
	}
}

static void
setup(struct sp_http *h, struct xfer *x, const char *url, const char *method,
    int auth, struct curl_slist **hdrs)
{
	CURL *c = h->curl;
	const struct sp_http_req *rq = x->rq;
	struct sp_http_body *b = rq->body;
	char *s;

	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)(h->o.connect_timeout * 1000));
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, (long)h->o.speed_time);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, h->o.speed_limit);
	if (x->deadline > 0) {
		double left = x->deadline - sp_monotonic();
		curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, left > 0.001 ? (long)(left * 1000) : 1L);
	}
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, h->o.insecure ? 0L : 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, h->o.insecure ? 0L : 2L);
	if (h->o.cacert)
		curl_easy_setopt(c, CURLOPT_CAINFO, h->o.cacert);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "sp/" SP_VERSION);
	curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, NULL);
	curl_easy_setopt(c, CURLOPT_BUFFERSIZE, 256L * 1024);
	curl_easy_setopt(c, CURLOPT_UPLOAD_BUFFERSIZE, 512L * 1024);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
	if (h->o.verbose) {
		curl_easy_setopt(c, CURLOPT_VERBOSE, 1L);
		curl_easy_setopt(c, CURLOPT_DEBUGFUNCTION, debug_cb);
	}
	if (h->progress) {
		curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
		curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, progress_cb);
		curl_easy_setopt(c, CURLOPT_XFERINFODATA, x);
	}
	if (auth) {
		s = sp_asprintf("Authorization: Bearer %s", h->token);
		*hdrs = curl_slist_append(*hdrs, s);
		explicit_bzero(s, strlen(s));
		free(s);
	}
	*hdrs = curl_slist_append(*hdrs, "Accept: application/json, application/gzip, */*");
	if (rq->if_none_match) {
		s = sp_asprintf("If-None-Match: \"%s\"", rq->if_none_match);
		*hdrs = curl_slist_append(*hdrs, s);
		free(s);
	}
	if (x->resume > 0 && !rq->body && x->rs->etag) {
		s = sp_asprintf("Range: bytes=%lld-", x->resume);
		*hdrs = curl_slist_append(*hdrs, s);
		free(s);
		s = sp_asprintf("If-Range: \"%s\"", x->rs->etag);
		*hdrs = curl_slist_append(*hdrs, s);
		free(s);
	}
	if (rq->header && auth)	/* as the credentials: not to a redirect's host */
		*hdrs = curl_slist_append(*hdrs, rq->header);
	if (b && strcmp(method, "GET")) {
		if (rq->content_type) {
			s = sp_asprintf("Content-Type: %s", rq->content_type);
			*hdrs = curl_slist_append(*hdrs, s);
			free(s);
		}
		if (b->size < 0)
			*hdrs = curl_slist_append(*hdrs, "Transfer-Encoding: chunked");
		b->off = 0;
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_READFUNCTION, sp_http_read_cb);
		curl_easy_setopt(c, CURLOPT_READDATA, b);
		curl_easy_setopt(c, CURLOPT_SEEKFUNCTION, sp_http_seek_cb);
		curl_easy_setopt(c, CURLOPT_SEEKDATA, b);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)b->size);
		if (strcmp(method, "POST"))
			curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	} else if (!strcmp(method, "GET")) {
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	} else {
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	}
	if (!*hdrs)
		sp_die(SP_EX_SOFTWARE, "out of memory");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, *hdrs);
}

static void
xfer_clear(struct xfer *x)
{
	free(x->errbody);
	free(x->etag);
	free(x->retry_after);
	free(x->content_range);
	x->errbody = x->etag = x->retry_after = x->content_range = NULL;
	x->errlen = 0;
	x->started = x->sink_err = x->changed = x->too_big = 0;
	x->skip = 0;
	x->reason[0] = '\0';
}

static int
fail(char *err, size_t errlen, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return code;
}

/* The scheme, host and port of url for messages (no credentials, no path
 * or query, which may hold a signature). */
static void
origin(const char *url, char *out, size_t n)
{
	CURLU *u = url ? curl_url() : NULL;
	char *scheme = NULL, *host = NULL, *port = NULL;

	snprintf(out, n, "another location");
	if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
		curl_url_get(u, CURLUPART_PORT, &port, 0);
		snprintf(out, n, "%s://%s%s%s", scheme, host, port ? ":" : "", port ? port : "");
		for (char *p = out; *p; p++)
			if (!isprint((unsigned char)*p))
				*p = '?';
	}
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	if (u)
		curl_url_cleanup(u);
}

/* What to do after one exchange. */
enum { DONE, RETRY, REDIRECT, FAILED };

/* Classify the outcome of an attempt; sets *code and err for FAILED, a
 * description in what and the server's wait in *wait for RETRY. */
static int
outcome(struct sp_http *h, struct xfer *x, CURLcode cc, const char *errbuf, const char *method,
    const char *shown, char *what, size_t whatlen, double *wait, int *code, char *err, size_t errlen)
{
	const struct sp_http_req *rq = x->rq;
	long status = x->rs->status;
	char msg[512];

	if (x->too_big) {
		char lim[32];
		human(lim, sizeof lim, (double)x->limit);
		*code = fail(err, errlen, SP_EX_UNAVAILABLE, "%s %s: the answer is larger than %s%s",
		    method, shown, lim, x->limit == h->o.max_size ? " (--max-size)" :
		    " (the bound of an answer held in memory)");
		return FAILED;
	}
	if (x->deadline > 0 && cc == CURLE_OPERATION_TIMEDOUT && sp_monotonic() >= x->deadline - 0.01) {
		*code = fail(err, errlen, SP_EX_TEMPFAIL, "%s %s: no answer within --max-time %g s",
		    method, shown, h->o.max_time);
		return FAILED;
	}
	if (x->sink_err) {
		*code = fail(err, errlen, SP_EX_IOERR, "%s %s: writing the answer: %s", method, shown,
		    strerror(x->sink_err));
		return FAILED;
	}
	if (rq->body && rq->body->err) {
		*code = fail(err, errlen, SP_EX_IOERR, "%s %s: reading the request body: %s", method, shown,
		    strerror(rq->body->err));
		return FAILED;
	}
	if (x->changed) {
		*code = fail(err, errlen, SP_EX_TEMPFAIL,
		    "%s %s: the remote content changed while it was being downloaded", method, shown);
		return FAILED;
	}
	if (cc != CURLE_OK) {
		if (cc == CURLE_OPERATION_TIMEDOUT && status)
			snprintf(what, whatlen, "transfer stalled (below %ld bytes/s for %.0f s)",
			    h->o.speed_limit, h->o.speed_time);
		else
			snprintf(what, whatlen, "%s", *errbuf ? errbuf : curl_easy_strerror(cc));
		if (retryable_curl(cc))
			return RETRY;
		*code = fail(err, errlen, cc == CURLE_URL_MALFORMAT || cc == CURLE_UNSUPPORTED_PROTOCOL ?
		    SP_EX_CONFIG : SP_EX_UNAVAILABLE, "%s %s: %s", method, shown, what);
		return FAILED;
	}
	if ((status >= 200 && status <= 299) || (status == 304 && rq->if_none_match))
		return DONE;
	if (status == 301 || status == 302 || status == 303 || status == 307 || status == 308) {
		if (!rq->body && !strcmp(method, "GET"))
			return REDIRECT;
		/* what was sent must reach this server: never re-send it elsewhere,
		 * never take another host's answer for the cloud's */
		char *loc = NULL, where[300];
		curl_easy_getinfo(h->curl, CURLINFO_REDIRECT_URL, &loc);
		origin(loc, where, sizeof where);
		*code = fail(err, errlen, SP_EX_UNAVAILABLE,
		    "%s %s: the server redirects (%ld) to %s; a request with a body is not sent on", method,
		    shown, status, where);
		return FAILED;
	}
	server_message(h, x->errbody, x->errlen, msg, sizeof msg);
	snprintf(what, whatlen, "%ld%s%s%s%s", status, x->reason[0] ? " " : "", x->reason,
	    *msg ? ": " : "", msg);
	if (status == 401 || status == 403) {
		*code = fail(err, errlen, SP_EX_NOPERM, "%s %s: unauthorized (%s)", method, shown, what);
		return FAILED;
	}
	if (status == 429 || status == 502 || status == 503 || status == 504) {
		*wait = retry_after(x->retry_after);
		return RETRY;
	}
	*code = fail(err, errlen, status >= 400 && status <= 499 ? SP_EX_DATAERR : SP_EX_UNAVAILABLE,
	    "%s %s: %s", method, shown, what);
	return FAILED;
}

/* Ready x and rs for another attempt: the sink rewound (or resumed from
 * what it holds), a retried body read to its end; 0, or the failure. */
static int
attempt_start(struct sp_http *h, struct xfer *x, const char *method, const char *shown,
    char *err, size_t errlen)
{
	const struct sp_http_req *rq = x->rq;
	struct sp_http_resp *rs = x->rs;

	xfer_clear(x);
	if (rq->sink && rq->sink->reset && rs->bytes > 0) {
		if (rq->sink->reset(rq->sink->arg) != 0)
			return fail(err, errlen, SP_EX_IOERR, "%s %s: %s", method, shown, strerror(errno));
		rs->bytes = 0;
	}
	if (!rq->sink)
		rs->len = rs->bytes = 0;
	x->resume = rq->sink && !rq->sink->reset ? rs->bytes : 0;
	if (rs->attempts > 1 && rq->body) {
		sp_http_body_settle(rq->body, h->o.max_size);
		if (rq->body->err)
			return fail(err, errlen, SP_EX_IOERR, "%s %s: reading the request body: %s%s",
			    method, shown, strerror(rq->body->err),
			    rq->body->err == EFBIG ? " (over --max-size)" : "");
	}
	return 0;
}

/* One request to url; rs->status is its answer's (0: none). */
static CURLcode
perform(struct sp_http *h, struct xfer *x, const char *url, const char *method, int auth,
    const char *shown, char errbuf[CURL_ERROR_SIZE])
{
	struct curl_slist *hdrs = NULL;
	CURLcode cc;

	setup(h, x, url, method, auth, &hdrs);
	errbuf[0] = '\0';
	curl_easy_setopt(h->curl, CURLOPT_ERRORBUFFER, errbuf);
	if (h->o.verbose)
		fprintf(stderr, "%s: %s %s (attempt %d of %d)\n", sp_prog, method,
		    shown ? shown : "(redirected)", x->rs->attempts, h->o.attempts);
	cc = curl_easy_perform(h->curl);
	curl_slist_free_all(hdrs);
	x->rs->status = 0;
	curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &x->rs->status);
	if (x->drawn) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
	}
	return cc;
}

/* Follow the redirect just answered: *url its Location, without
 * credentials, GET after a 303; 0, or the failure. */
static int
redirect(struct sp_http *h, struct sp_http_resp *rs, char **url, const char **method, int *auth,
    int *redirects, const char *shown, char *err, size_t errlen)
{
	char *loc = NULL;

	curl_easy_getinfo(h->curl, CURLINFO_REDIRECT_URL, &loc);
	if (!loc || ++*redirects > MAX_REDIRECTS)
		return fail(err, errlen, SP_EX_UNAVAILABLE, "%s %s: %s", *method, shown,
		    loc ? "too many redirects" : "redirect without a Location");
	free(*url);
	*url = sp_strdup(loc);
	*auth = 0;	/* credentials never follow a redirect */
	if (rs->status == 303)
		*method = "GET";
	if (h->o.verbose)
		fprintf(stderr, "%s: redirected (%ld); the Authorization header is not sent\n",
		    sp_prog, rs->status);
	return 0;
}

/* After a failed attempt (what says how): wait the backoff (or the
 * server's Retry-After, wait) and return 0 to retry, or the failure when
 * the attempts, the server's wish or --max-time rule it out. */
static int
backoff(struct sp_http *h, const struct xfer *x, const char *method, const char *shown,
    const char *what, double wait, char *err, size_t errlen)
{
	const struct sp_http_resp *rs = x->rs;
	double d;

	if (wait > MAX_RETRY_AFTER)
		return fail(err, errlen, SP_EX_TEMPFAIL, "%s %s: %s; the server asks to retry in %.0f s, giving up",
		    method, shown, what, wait);
	if (rs->attempts >= h->o.attempts)
		return fail(err, errlen, SP_EX_TEMPFAIL, "%s %s: %s (gave up after %d attempt%s)", method, shown,
		    what, rs->attempts, rs->attempts == 1 ? "" : "s");
	d = h->o.retry_delay * pow(2, rs->attempts - 1);
	if (d > MAX_BACKOFF)
		d = MAX_BACKOFF;
	d = d / 2 + d / 2 * jitter(h);
	if (wait > d)
		d = wait;
	if (x->deadline > 0 && sp_monotonic() + d >= x->deadline)
		return fail(err, errlen, SP_EX_TEMPFAIL, "%s %s: %s; no answer within --max-time %g s",
		    method, shown, what, h->o.max_time);
	if (!h->o.quiet)
		fprintf(stderr, "%s: %s %s: %s; attempt %d of %d failed, retrying in %.1f s\n", sp_prog,
		    method, shown, what, rs->attempts, h->o.attempts, d);
	sleep_for(d);
	return 0;
}

int
sp_http_do(struct sp_http *h, const struct sp_http_req *rq, struct sp_http_resp *rs,
    char *err, size_t errlen)
{
	struct xfer x = {.h = h, .rq = rq, .rs = rs};
	double t0 = sp_monotonic();
	char *url = sp_asprintf("%s%s", h->base, rq->path);
	char *shown = sp_asprintf("%s%s", h->shown, rq->path);
	const char *method = rq->method;
	int auth = 1, redirects = 0, code = 0;
	char what[700], errbuf[CURL_ERROR_SIZE];

	memset(rs, 0, sizeof *rs);
	err[0] = '\0';
	x.limit = rq->sink ? h->o.max_size : h->o.max_size < SP_HTTP_MAX_ANSWER ? h->o.max_size :
	    SP_HTTP_MAX_ANSWER;
	x.deadline = h->o.max_time > 0 ? t0 + h->o.max_time : 0;
	rs->attempts = 1;
	while (!(code = attempt_start(h, &x, method, shown, err, errlen))) {
		double wait = -1;
		CURLcode cc = perform(h, &x, url, method, auth, redirects ? NULL : shown, errbuf);
		int next = outcome(h, &x, cc, errbuf, method, shown, what, sizeof what, &wait, &code, err,
		    errlen);

		if (next == DONE || next == FAILED)
			break;
		if (next == REDIRECT) {
			if ((code = redirect(h, rs, &url, &method, &auth, &redirects, shown, err, errlen)))
				break;
			continue;
		}
		if ((code = backoff(h, &x, method, shown, what, wait, err, errlen)))
			break;
		rs->attempts++;
		/* a retry starts over from the original URL, with credentials */
		free(url);
		url = sp_asprintf("%s%s", h->base, rq->path);
		method = rq->method;
		auth = 1;
		redirects = 0;
	}
	curl_easy_setopt(h->curl, CURLOPT_ERRORBUFFER, NULL);
	rs->seconds = sp_monotonic() - t0;
	xfer_clear(&x);
	free(url);
	free(shown);
	return code;
}

void
sp_http_resp_free(struct sp_http_resp *rs)
{
	free(rs->etag);
	free(rs->body);
	rs->etag = rs->body = NULL;
}

int
sp_http_answer(struct sp_http *h, const char *method, const char *path,
    const struct sp_http_resp *rs, json_t **answer, char *err, size_t errlen)
{
	*answer = rs->len ? json_loadb(rs->body, rs->len, 0, NULL) : json_object();
	if (json_is_object(*answer))
		return 0;
	json_decref(*answer);
	*answer = NULL;
	return fail(err, errlen, SP_EX_UNAVAILABLE, "%s %s%s: the answer is not a JSON object",
	    method, h->shown, path);
}

int
sp_http_json(struct sp_http *h, const char *method, const char *path, json_t *body,
    json_t **answer, char *err, size_t errlen)
{
	struct sp_http_body b;
	struct sp_http_req rq = {.method = method, .path = path, .content_type = "application/json"};
	struct sp_http_resp rs;
	char *s = NULL;
	int code;

	*answer = NULL;
	if (body) {
		s = json_dumps(body, JSON_COMPACT);
		if (!s)
			sp_die(SP_EX_SOFTWARE, "out of memory");
		sp_http_body_mem(&b, s, strlen(s));
		rq.body = &b;
	}
	code = sp_http_do(h, &rq, &rs, err, errlen);
	if (code == 0)
		code = sp_http_answer(h, method, path, &rs, answer, err, errlen);
	sp_http_resp_free(&rs);
	free(s);
	return code;
}
