/* cli.c - the options every tool shares. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/cli.h"
#include "core/err.h"

void
sp_help(const char *usage)
{
	fputs(usage, stdout);
	sp_finish_stdout();
	exit(0);
}

void
sp_version(void)
{
	printf("%s %s\n", sp_prog, SP_VERSION);
	sp_finish_stdout();
	exit(0);
}

void
sp_usage_die(const char *usage, const char *fmt, ...)
{
	va_list ap;

	if (fmt) {
		fprintf(stderr, "%s: ", sp_prog);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
	fputs(usage, stderr);
	exit(SP_EX_USAGE);
}

long long
sp_parse_num(const char *opt, const char *s, long long min, long long max)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max) {
		fprintf(stderr, "%s: %s: invalid value \"%s\" (expected %lld..%lld)\n",
		    sp_prog, opt, s, min, max);
		exit(SP_EX_USAGE);
	}
	return v;
}

long long
sp_parse_size(const char *opt, const char *s)
{
	char *end;
	long long v;
	int shift = 0;

	errno = 0;
	v = strtoll(s, &end, 10);
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case 't': case 'T': shift = 40; end++; break;
	}
	if (errno || end == s || *end || v < 0 || v > (0x7fffffffffffffffLL >> shift)) {
		fprintf(stderr, "%s: %s: invalid size \"%s\"\n", sp_prog, opt, s);
		exit(SP_EX_USAGE);
	}
	return v << shift;
}

void
sp_finish_stdout(void)
{
	int bad = fflush(stdout) != 0 || ferror(stdout);
	int e = errno;

	if (fclose(stdout) != 0 && !bad) {
		bad = 1;
		e = errno;
	}
	if (bad) {
		errno = e ? e : EIO;
		sp_die_errno(SP_EX_IOERR, "write error on standard output");
	}
}
