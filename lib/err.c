/* err.c - diagnostics, exit status and cleanup-on-exit. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"

const char *sp_prog = "sp";

#define MAXCLEAN 64
static struct {
	void (*fn)(void *);
	void *arg;
} cleanups[MAXCLEAN];
static int ncleanups;

void
sp_setprog(const char *argv0)
{
	const char *s;

	if (!argv0 || !*argv0)
		return;
	s = strrchr(argv0, '/');
	sp_prog = s ? s + 1 : argv0;
}

static void
vmsg(const char *fmt, va_list ap, int err)
{
	/* One buffered write so concurrent writers do not interleave. */
	char buf[4096];
	int n;

	n = snprintf(buf, sizeof buf, "%s: ", sp_prog);
	if (n < 0 || (size_t)n >= sizeof buf)
		n = 0;
	vsnprintf(buf + n, sizeof buf - n, fmt, ap);
	if (err)
		snprintf(buf + strlen(buf), sizeof buf - strlen(buf), ": %s", strerror(err));
	fprintf(stderr, "%s\n", buf);
	fflush(stderr);
}

void
sp_cleanup_run(void)
{
	while (ncleanups > 0) {
		ncleanups--;
		if (cleanups[ncleanups].fn)
			cleanups[ncleanups].fn(cleanups[ncleanups].arg);
	}
}

int
sp_cleanup_push(void (*fn)(void *), void *arg)
{
	int i;

	for (i = 0; i < ncleanups; i++)
		if (!cleanups[i].fn)
			break;
	if (i == ncleanups) {
		if (ncleanups == MAXCLEAN)
			sp_die(SP_EX_SOFTWARE, "too many cleanup handlers");
		ncleanups++;
	}
	cleanups[i].fn = fn;
	cleanups[i].arg = arg;
	return i;
}

void
sp_cleanup_pop(int h)
{
	if (h < 0 || h >= ncleanups)
		return;
	cleanups[h].fn = NULL;
	while (ncleanups > 0 && !cleanups[ncleanups - 1].fn)
		ncleanups--;
}

static const char *volatile sigpaths[MAXCLEAN];

static void
on_fatal_signal(int sig)
{
	int e = errno;

	for (int i = 0; i < MAXCLEAN; i++)
		if (sigpaths[i])
			unlink(sigpaths[i]);
	signal(sig, SIG_DFL);
	raise(sig);
	errno = e;
}

int
sp_sigunlink_push(const char *path)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE};
	static int installed;

	if (!installed) {
		installed = 1;
		for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++) {
			struct sigaction old, sa = {.sa_handler = on_fatal_signal};

			sigemptyset(&sa.sa_mask);
			if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_DFL)
				sigaction(sigs[i], &sa, NULL);
		}
	}
	for (int i = 0; i < MAXCLEAN; i++)
		if (!sigpaths[i]) {
			sigpaths[i] = path;
			return i;
		}
	return -1;	/* not covered: only a leftover temporary file */
}

void
sp_sigunlink_pop(int h)
{
	if (h >= 0 && h < MAXCLEAN)
		sigpaths[h] = NULL;
}

void
sp_die(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap, 0);
	va_end(ap);
	sp_cleanup_run();
	exit(code);
}

void
sp_die_errno(int code, const char *fmt, ...)
{
	va_list ap;
	int e = errno;

	va_start(ap, fmt);
	vmsg(fmt, ap, e);
	va_end(ap);
	sp_cleanup_run();
	exit(code);
}

void
sp_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap, 0);
	va_end(ap);
}

void
sp_warn_errno(const char *fmt, ...)
{
	va_list ap;
	int e = errno;

	va_start(ap, fmt);
	vmsg(fmt, ap, e);
	va_end(ap);
}

int
sp_ex_for_errno(int err)
{
	switch (err) {
	case ENOENT:
	case ENOTDIR:
		return SP_EX_NOINPUT;
	case EACCES:
	case EPERM:
		return SP_EX_NOINPUT;
	case ENOMEM:
		return SP_EX_SOFTWARE;
	default:
		return SP_EX_IOERR;
	}
}

void *
sp_malloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		sp_die(SP_EX_SOFTWARE, "out of memory");
	return p;
}

void *
sp_calloc(size_t n, size_t m)
{
	void *p = calloc(n ? n : 1, m ? m : 1);

	if (!p)
		sp_die(SP_EX_SOFTWARE, "out of memory");
	return p;
}

void *
sp_realloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		sp_die(SP_EX_SOFTWARE, "out of memory");
	return p;
}

char *
sp_strdup(const char *s)
{
	char *p = strdup(s);

	if (!p)
		sp_die(SP_EX_SOFTWARE, "out of memory");
	return p;
}

char *
sp_asprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		sp_die(SP_EX_SOFTWARE, "out of memory");
	return s;
}
