/* err.h - diagnostics and exit status for every sp tool (sp(7) "EXIT
 * STATUS"). sp_die and the cleanup handlers (err.c) are for tools only:
 * code the server links reports errors to its caller and never dies, but
 * for sp_fatal (msg.c), what no caller can handle. */
#ifndef SP_ERR_H
#define SP_ERR_H

#include <stdarg.h>

enum {
	SP_EX_OK = 0,		/* success */
	SP_EX_DIFF = 1,		/* differences found (sp-diff) */
	SP_EX_USAGE = 2,	/* bad command line */
	SP_EX_DATAERR = 65,	/* malformed record, bad YAML, checksum mismatch, unsafe archive */
	SP_EX_NOINPUT = 66,	/* input missing */
	SP_EX_UNAVAILABLE = 69,	/* service unavailable after retries */
	SP_EX_SOFTWARE = 70,	/* internal error, failed command */
	SP_EX_CANTCREAT = 73,	/* cannot create output */
	SP_EX_IOERR = 74,	/* I/O error */
	SP_EX_TEMPFAIL = 75,	/* temporary failure */
	SP_EX_NOPERM = 77,	/* unauthorized */
	SP_EX_CONFIG = 78,	/* missing configuration */
};

/* Program name used as the "sp-NAME: " prefix; set once from argv[0]. */
extern const char *sp_prog;

/* Set sp_prog to the basename of argv0. */
void sp_setprog(const char *argv0);

/* Print "prog: message" on stderr, run the cleanup handlers, exit with code. */
void sp_die(int code, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 2, 3)));

/* As sp_die, appending ": strerror(errno)". */
void sp_die_errno(int code, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 2, 3)));

/* Print "prog: message" on stderr and continue. */
void sp_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* As sp_warn, appending ": strerror(errno)". */
void sp_warn_errno(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Register fn(arg) to run (last registered first) when sp_die exits;
 * returns a handle for sp_cleanup_pop. Used to remove temporary files. */
int sp_cleanup_push(void (*fn)(void *), void *arg);

/* Forget the handler with this handle without running it. */
void sp_cleanup_pop(int handle);

/* Unlink path (which must stay valid until popped) should the program
 * be ended by SIGINT, SIGTERM, SIGHUP or SIGPIPE (handlers installed on
 * first use where the signal is not ignored; the signal is then raised
 * again with its default action); returns a handle for sp_sigunlink_pop. */
int sp_sigunlink_push(const char *path);

/* Forget the path with this handle. */
void sp_sigunlink_pop(int handle);

/* Run every registered handler now (sp_die does this itself). */
void sp_cleanup_run(void);

/* The exit status for an errno value of a failed open of an input. */
int sp_ex_for_errno(int err);

/* Print "prog: message", run the cleanup handlers (when a tool has any)
 * and exit 70: for failures no caller can handle (out of memory, OpenSSL
 * or zlib unable to start). The only exit allowed in server code. */
void sp_fatal(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

/* Set by err.c once a cleanup handler exists: what sp_fatal runs. */
extern void (*sp_fatal_hook)(void);

/* Format "prog: message[: strerror(err)]" and write it in one go. */
void sp_vmsg(const char *fmt, va_list ap, int err);

/* Allocation that never returns NULL: sp_fatal (exit 70) on exhaustion. */
void *sp_malloc(size_t n);
void *sp_calloc(size_t n, size_t m);
void *sp_realloc(void *p, size_t n);
char *sp_strdup(const char *s);
char *sp_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
