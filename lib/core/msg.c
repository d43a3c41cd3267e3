/* msg.c - messages: the program name, warnings, and sp_fatal for what no
 * caller can handle (out of memory, a library that cannot start). Safe in
 * the server. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/path.h"

const char *sp_prog = "sp";
void (*sp_fatal_hook)(void);

void
sp_setprog(const char *argv0)
{
	const char *s;

	if (!argv0 || !*argv0)
		return;
	s = strrchr(argv0, '/');
	sp_prog = s ? s + 1 : argv0;
}

void
sp_vmsg(const char *fmt, va_list ap, int err)
{
	/* One buffered write so concurrent writers do not interleave; names
	 * from hostile trees are shown escaped, never sent raw to a terminal. */
	char buf[4096], out[8192];
	int n;

	n = snprintf(buf, sizeof buf, "%s: ", sp_prog);
	if (n < 0 || (size_t)n >= sizeof buf)
		n = 0;
	vsnprintf(buf + n, sizeof buf - n, fmt, ap);
	if (err)
		snprintf(buf + strlen(buf), sizeof buf - strlen(buf), ": %s", strerror(err));
	sp_show(buf, out, sizeof out);
	fprintf(stderr, "%s\n", out);
	fflush(stderr);
}

void
sp_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sp_vmsg(fmt, ap, 0);
	va_end(ap);
}

void
sp_warn_errno(const char *fmt, ...)
{
	va_list ap;
	int e = errno;

	va_start(ap, fmt);
	sp_vmsg(fmt, ap, e);
	va_end(ap);
}

void
sp_fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sp_vmsg(fmt, ap, 0);
	va_end(ap);
	if (sp_fatal_hook)
		sp_fatal_hook();
	exit(SP_EX_SOFTWARE);
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
