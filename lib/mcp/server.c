/* server.c - an MCP session over stdio. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "core/proc.h"
#include "mcp/jsonrpc.h"
#include "mcp/mcp.h"
#include "mcp/server.h"
#include "rec/ndjson.h"

#define LINE_MAX_BYTES (16 << 20)	/* a longer message is refused */
#define OUT_MAX_BYTES (16 << 20)	/* a sync printing more is stopped */
#define ERR_TAIL 4096			/* the end of its stderr kept for the message */

struct batch {
	json_t *responses;	/* the answers gathered so far */
	int pending;		/* calls of the batch not answered yet */
	int open;		/* its members are still being read */
};

struct call {
	json_t *id, *token;	/* request id; progress token or NULL */
	char **argv;
	struct batch *batch;
	struct call *next;
};

struct server {
	FILE *out;
	const char *cmd;
	int verbose, broken;	/* broken: out cannot be written */
	const char *version;	/* negotiated revision, NULL before initialize */
	struct call *head, *tail;	/* calls waiting to run */
	/* the running call */
	struct call *run;
	struct sp_proc proc;
	char *obuf, etail[ERR_TAIL + 1];
	size_t olen, ocap, elen, oline;
	json_t *records;
	char *bad;		/* why its output is unusable, if it is */
	int cancelled;
	/* input */
	char *ibuf;
	size_t ilen, icap;
	int eof, skipping;
};

static volatile sig_atomic_t child_pgid;

static void
on_signal(int sig)
{
	if (child_pgid > 0)
		kill(-child_pgid, SIGTERM);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void
logmsg(struct server *s, const char *fmt, ...)
{
	va_list ap;

	if (!s->verbose)
		return;
	fprintf(stderr, "%s: ", sp_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Write one message as a line; steals msg. */
static void
send_msg(struct server *s, json_t *msg)
{
	char *t = msg ? json_dumps(msg, JSON_COMPACT) : NULL;

	json_decref(msg);
	if (!t || s->broken) {
		free(t);
		return;
	}
	if (fputs(t, s->out) == EOF || fputc('\n', s->out) == EOF || fflush(s->out) == EOF) {
		sp_warn_errno("write error on standard output");
		s->broken = 1;
	}
	free(t);
}

/* Send the batch's answers once all of them are in; frees it. */
static void
batch_settle(struct server *s, struct batch *b)
{
	if (b->open || b->pending > 0)
		return;
	if (json_array_size(b->responses) > 0)
		send_msg(s, b->responses);
	else
		json_decref(b->responses);
	free(b);
}

/* Deliver an answer (stolen) directly or into its batch. */
static void
answer(struct server *s, struct batch *b, json_t *resp)
{
	if (b)
		json_array_append_new(b->responses, resp);
	else
		send_msg(s, resp);
}

static void
call_free(struct call *c)
{
	json_decref(c->id);
	json_decref(c->token);
	sp_mcp_argv_free(c->argv);
	free(c);
}

/* A call of a batch is over (answered or cancelled). */
static void
call_done(struct server *s, struct call *c)
{
	struct batch *b = c->batch;

	call_free(c);
	if (b) {
		b->pending--;
		batch_settle(s, b);
	}
}

static void
cancel(struct server *s, json_t *params)
{
	json_t *id = json_object_get(params, "requestId");
	struct call **pp, *c;

	if (!id)
		return;
	if (s->run && json_equal(s->run->id, id) && !s->cancelled) {
		logmsg(s, "cancelling the running call");
		s->cancelled = 1;
		kill(-s->proc.pid, SIGTERM);
		return;
	}
	for (pp = &s->head; (c = *pp); pp = &c->next) {
		if (json_equal(c->id, id)) {
			*pp = c->next;
			s->tail = NULL;
			for (struct call *t = s->head; t; t = t->next)
				s->tail = t;
			logmsg(s, "cancelled a waiting call");
			call_done(s, c);
			return;
		}
	}
}

static json_t *
tools_call(struct server *s, json_t *id, json_t *params, struct batch *b)
{
	json_t *name = json_object_get(params, "name"), *args = json_object_get(params, "arguments");
	char err[512];
	struct call *c;
	char **argv;

	if (!json_is_string(name))
		return sp_rpc_error(id, SP_RPC_INVALID_PARAMS, "tools/call needs a tool \"name\"", NULL);
	if (strcmp(json_string_value(name), "sync") != 0) {
		char *m = sp_asprintf("Unknown tool: %s", json_string_value(name));
		json_t *r = sp_rpc_error(id, SP_RPC_INVALID_PARAMS, m, NULL);
		free(m);
		return r;
	}
	if (args && !json_is_object(args) && !json_is_null(args))	/* bad arguments: a tool error */
		return sp_rpc_result(id, sp_mcp_tool_error("\"arguments\" must be an object"));
	if (!(argv = sp_mcp_sync_argv(s->cmd, json_is_object(args) ? args : NULL, err, sizeof err)))
		return sp_rpc_result(id, sp_mcp_tool_error(err));
	c = sp_calloc(1, sizeof *c);
	c->id = json_incref(id);
	c->token = json_incref(json_object_get(json_object_get(params, "_meta"), "progressToken"));
	c->argv = argv;
	c->batch = b;
	if (b)
		b->pending++;
	if (s->tail)
		s->tail->next = c;
	else
		s->head = c;
	s->tail = c;
	return NULL;
}

/* Answer one request; NULL when the answer comes later (a call). */
static json_t *
request(struct server *s, const char *method, json_t *id, json_t *params, struct batch *b)
{
	if (params && !json_is_object(params))
		return sp_rpc_error(id, SP_RPC_INVALID_PARAMS, "\"params\" must be an object", NULL);
	if (!strcmp(method, "initialize")) {
		json_t *v = json_object_get(params, "protocolVersion");
		if (b)
			return sp_rpc_error(id, SP_RPC_INVALID_REQUEST,
			    "initialize must not be part of a batch", NULL);
		if (!json_is_string(v))
			return sp_rpc_error(id, SP_RPC_INVALID_PARAMS,
			    "initialize needs a \"protocolVersion\" string", NULL);
		s->version = sp_mcp_negotiate(json_string_value(v));
		logmsg(s, "client asks for %s, speaking %s", json_string_value(v), s->version);
		return sp_rpc_result(id, sp_mcp_initialize_result(s->version));
	}
	if (!strcmp(method, "ping"))
		return sp_rpc_result(id, json_object());
	if (!strcmp(method, "tools/list"))
		return sp_rpc_result(id, sp_mcp_tools_list(s->version));
	if (!strcmp(method, "tools/call"))
		return tools_call(s, id, params ? params : json_object(), b);
	{
		char *m = sp_asprintf("Method not found: %s", method);
		json_t *r = sp_rpc_error(id, SP_RPC_METHOD_NOT_FOUND, m, NULL);
		free(m);
		return r;
	}
}

static void
message(struct server *s, json_t *msg, struct batch *b)
{
	const char *why, *method;
	json_t *id, *params, *r;

	switch (sp_rpc_classify(msg, &id, &why)) {
	case SP_RPC_INVALID:
		answer(s, b, sp_rpc_error(id, SP_RPC_INVALID_REQUEST, why, NULL));
		return;
	case SP_RPC_RESPONSE:
		logmsg(s, "ignoring a response: this server sends no requests");
		return;
	case SP_RPC_NOTIFICATION:
		method = json_string_value(json_object_get(msg, "method"));
		logmsg(s, "<- %s", method);
		if (!strcmp(method, "notifications/cancelled"))
			cancel(s, json_object_get(msg, "params"));
		return;
	case SP_RPC_REQUEST:
		method = json_string_value(json_object_get(msg, "method"));
		params = json_object_get(msg, "params");
		logmsg(s, "<- %s", method);
		if ((r = request(s, method, id, params, b)))
			answer(s, b, r);
		return;
	}
}

static void
line(struct server *s, const char *p, size_t n)
{
	json_error_t e;
	json_t *msg;
	size_t i;

	while (n > 0 && (p[n - 1] == '\r' || p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	if (n == 0)
		return;
	msg = json_loadb(p, n, JSON_DECODE_ANY, &e);
	if (!msg) {
		char *m = sp_asprintf("Parse error: %s", e.text);
		send_msg(s, sp_rpc_error(NULL, SP_RPC_PARSE_ERROR, m, NULL));
		free(m);
		return;
	}
	if (!json_is_array(msg)) {
		message(s, msg, NULL);
	} else if (!sp_mcp_takes_batches(s->version)) {
		char *m = sp_asprintf("Invalid Request: JSON-RPC batches are not supported %s%s",
		    s->version ? "in protocol version " : "before initialize",
		    s->version ? s->version : "");
		send_msg(s, sp_rpc_error(NULL, SP_RPC_INVALID_REQUEST, m, NULL));
		free(m);
	} else if (json_array_size(msg) == 0) {
		send_msg(s, sp_rpc_error(NULL, SP_RPC_INVALID_REQUEST, "Invalid Request: empty batch", NULL));
	} else {
		struct batch *b = sp_calloc(1, sizeof *b);
		json_t *m;
		b->responses = json_array();
		b->open = 1;
		json_array_foreach(msg, i, m)
			message(s, m, b);
		b->open = 0;
		batch_settle(s, b);
	}
	json_decref(msg);
}

/* Read what stdin has; handle every complete line. */
static void
read_input(struct server *s, int in)
{
	size_t start = 0, i;
	ssize_t r;

	if (s->icap - s->ilen < 65536)
		s->ibuf = sp_realloc(s->ibuf, s->icap = s->icap * 2 + 65536);
	r = read(in, s->ibuf + s->ilen, s->icap - s->ilen);
	if (r < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (r < 0)
		sp_warn_errno("read error on standard input");
	if (r <= 0) {
		if (!s->skipping)
			line(s, s->ibuf, s->ilen);	/* a last line without a newline */
		s->ilen = 0;
		s->eof = 1;
		return;
	}
	for (i = s->ilen, s->ilen += (size_t)r; i < s->ilen; i++) {
		if (s->ibuf[i] != '\n')
			continue;
		if (!s->skipping)
			line(s, s->ibuf + start, i - start);
		s->skipping = 0;
		start = i + 1;
	}
	memmove(s->ibuf, s->ibuf + start, s->ilen - start);
	s->ilen -= start;
	if (s->ilen > LINE_MAX_BYTES && !s->skipping) {
		send_msg(s, sp_rpc_error(NULL, SP_RPC_PARSE_ERROR,
		    "Parse error: message longer than 16 MiB", NULL));
		s->skipping = 1;
	}
	if (s->skipping)
		s->ilen = 0;
}

/* The sync's command line, for messages. */
static char *
cmdline(char **argv)
{
	size_t n = 1;
	char *t;

	for (char **a = argv; *a; a++)
		n += strlen(*a) + 1;
	t = sp_calloc(1, n);
	for (char **a = argv; *a; a++) {
		if (a != argv)
			strcat(t, " ");
		strcat(t, *a);
	}
	return t;
}

/* Start the next waiting call, if any and none runs. */
static void
start_next(struct server *s)
{
	char err[512], *cl;
	struct call *c;

	while (!s->run && (c = s->head)) {
		s->head = c->next;
		if (!s->head)
			s->tail = NULL;
		c->next = NULL;
		cl = cmdline(c->argv);
		logmsg(s, "running %s", cl);
		free(cl);
		if (sp_proc_start(&s->proc, c->argv, SP_PROC_OUT_PIPE | SP_PROC_ERR_PIPE |
		    SP_PROC_PGROUP, err, sizeof err) < 0) {
			sp_warn("%s", err);
			answer(s, c->batch, sp_rpc_result(c->id, sp_mcp_tool_error(err)));
			call_done(s, c);
			continue;
		}
		child_pgid = s->proc.pid;
		s->run = c;
		s->olen = s->elen = s->oline = 0;
		s->records = json_array();
		s->cancelled = 0;
	}
}

/* Take the complete lines of the sync's stdout as records. */
static void
take_records(struct server *s, int all)
{
	size_t start = 0, i, end;
	char why[256];

	for (i = 0; i <= s->olen; i++) {
		if (i < s->olen ? s->obuf[i] != '\n' : !all || i == start)
			continue;
		s->oline++;
		for (end = i; end > start && (s->obuf[end - 1] == '\r' || s->obuf[end - 1] == ' ');)
			end--;
		if (end > start && !s->bad) {
			json_t *rec = sp_record_parse(s->obuf + start, end - start, why, sizeof why);
			if (!rec) {
				s->bad = sp_asprintf("%s printed something that is not a record (line %zu: %s)",
				    s->run->argv[0], s->oline, why);
			} else {
				json_array_append_new(s->records, rec);
				if (s->run->token)
					send_msg(s, sp_rpc_notification("notifications/progress",
					    json_pack("{s:O, s:I, s:s?}", "progressToken", s->run->token,
					    "progress", (json_int_t)json_array_size(s->records), "message",
					    json_string_value(json_object_get(rec, "operation")))));
			}
		}
		start = i + 1;
	}
	if (start > s->olen)
		start = s->olen;
	if (start > 0) {
		memmove(s->obuf, s->obuf + start, s->olen - start);
		s->olen -= start;
	}
}

/* Read what one of the sync's pipes has; close it at its end. */
static void
child_read(struct server *s, int *fd, int is_out)
{
	char buf[65536];
	ssize_t r = read(*fd, buf, sizeof buf);

	if (r < 0 && errno == EINTR)
		return;
	if (r <= 0) {
		close(*fd);
		*fd = -1;
		return;
	}
	if (!is_out) {
		/* its log is ours; keep the end of it for the error message */
		if (write(2, buf, (size_t)r) < 0) {
			/* nowhere to log: keep going */
		}
		if ((size_t)r >= ERR_TAIL) {
			memcpy(s->etail, buf + r - ERR_TAIL, ERR_TAIL);
			s->elen = ERR_TAIL;
		} else {
			if (s->elen + (size_t)r > ERR_TAIL) {
				size_t drop = s->elen + (size_t)r - ERR_TAIL;
				memmove(s->etail, s->etail + drop, s->elen - drop);
				s->elen -= drop;
			}
			memcpy(s->etail + s->elen, buf, (size_t)r);
			s->elen += (size_t)r;
		}
		return;
	}
	if (s->olen + (size_t)r > OUT_MAX_BYTES) {
		if (!s->bad)
			s->bad = sp_asprintf("%s printed more than 16 MiB of records", s->run->argv[0]);
		kill(-s->proc.pid, SIGTERM);
		return;
	}
	if (s->ocap < s->olen + (size_t)r + 1)
		s->obuf = sp_realloc(s->obuf, s->ocap = s->olen + (size_t)r + 65536);
	memcpy(s->obuf + s->olen, buf, (size_t)r);
	s->olen += (size_t)r;
	take_records(s, 0);
}

/* The running call has closed both pipes: reap it and answer. */
static void
finish(struct server *s)
{
	struct call *c = s->run;
	int status;
	char *cl;

	take_records(s, 1);
	status = sp_proc_wait(&s->proc);
	child_pgid = 0;
	s->etail[s->elen] = '\0';
	cl = cmdline(c->argv);
	logmsg(s, "%s exited with status %d%s", cl, status, s->cancelled ? " (cancelled)" : "");
	if (s->cancelled) {
		json_decref(s->records);
	} else if (s->bad) {
		json_decref(s->records);
		answer(s, c->batch, sp_rpc_result(c->id, sp_mcp_tool_error(s->bad)));
	} else {
		answer(s, c->batch, sp_rpc_result(c->id,
		    sp_mcp_sync_result(cl, s->records, status, s->etail)));
	}
	free(cl);
	free(s->bad);
	s->bad = NULL;
	s->records = NULL;
	s->run = NULL;
	call_done(s, c);
}

int
sp_mcp_serve(int in, FILE *out, const char *sync_cmd, int verbose)
{
	struct server s = {.out = out, .cmd = sync_cmd, .verbose = verbose};
	struct sigaction sa = {.sa_handler = on_signal};

	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	while (!s.broken && (!s.eof || s.run || s.head)) {
		struct pollfd fds[3];
		int n = 0, ii = -1, io = -1, ie = -1;

		if (!s.eof)
			fds[ii = n++] = (struct pollfd){.fd = in, .events = POLLIN};
		if (s.run && s.proc.out >= 0)
			fds[io = n++] = (struct pollfd){.fd = s.proc.out, .events = POLLIN};
		if (s.run && s.proc.err >= 0)
			fds[ie = n++] = (struct pollfd){.fd = s.proc.err, .events = POLLIN};
		if (n > 0 && poll(fds, (nfds_t)n, -1) < 0) {
			if (errno == EINTR)
				continue;
			sp_warn_errno("poll");
			break;
		}
		if (ii >= 0 && fds[ii].revents)
			read_input(&s, in);
		if (io >= 0 && fds[io].revents)
			child_read(&s, &s.proc.out, 1);
		if (ie >= 0 && fds[ie].revents)
			child_read(&s, &s.proc.err, 0);
		if (s.run && s.proc.out < 0 && s.proc.err < 0)
			finish(&s);
		start_next(&s);
	}
	if (s.run) {	/* out broke: stop the call */
		kill(-s.proc.pid, SIGTERM);
		s.cancelled = 1;
		sp_proc_wait(&s.proc);
		json_decref(s.records);
		free(s.bad);
		call_done(&s, s.run);
	}
	while (s.head) {	/* out broke: drop the waiting calls (and their batches) */
		struct call *c = s.head;
		s.head = c->next;
		call_done(&s, c);
	}
	free(s.ibuf);
	free(s.obuf);
	return s.broken ? SP_EX_IOERR : 0;
}
