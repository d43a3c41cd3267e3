/* alloc.c - allocation that never returns NULL (sp_fatal on exhaustion). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"

void *
sp_malloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		sp_fatal("out of memory");
	return p;
}

void *
sp_calloc(size_t n, size_t m)
{
	void *p = calloc(n ? n : 1, m ? m : 1);

	if (!p)
		sp_fatal("out of memory");
	return p;
}

void *
sp_realloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		sp_fatal("out of memory");
	return p;
}

char *
sp_strdup(const char *s)
{
	char *p = strdup(s);

	if (!p)
		sp_fatal("out of memory");
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
		sp_fatal("out of memory");
	return s;
}
