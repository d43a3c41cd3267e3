/* err.c - dying: sp_die and the cleanup handlers it runs (tools only; the
 * server never links this file, see lib/LAYERS). */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/err.h"

#define MAXCLEAN 64
static struct {
	void (*fn)(void *);
	void *arg;
} cleanups[MAXCLEAN];
static int ncleanups;

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
	sp_fatal_hook = sp_cleanup_run;	/* an sp_fatal exit removes them too */
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
	sp_vmsg(fmt, ap, 0);
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
	sp_vmsg(fmt, ap, e);
	va_end(ap);
	sp_cleanup_run();
	exit(code);
}

