/* glob.c - path globs with "**", and rsync-style include/exclude rules. */
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/glob.h"

/* Match one bracket class at *pp against c; advances *pp past "]". Returns
 * 1 match, 0 no match, -1 malformed (then "[" is literal). */
static int
classmatch(const char **pp, unsigned char c)
{
	const char *p = *pp + 1;
	int neg = 0, hit = 0, first = 1;

	if (*p == '!' || *p == '^') {
		neg = 1;
		p++;
	}
	for (; *p && (*p != ']' || first); first = 0) {
		unsigned char lo, hi;

		if (*p == '\\' && p[1])
			p++;
		lo = hi = (unsigned char)*p++;
		if (*p == '-' && p[1] && p[1] != ']') {
			p++;
			if (*p == '\\' && p[1])
				p++;
			hi = (unsigned char)*p++;
		}
		if (c >= lo && c <= hi)
			hit = 1;
	}
	if (*p != ']')
		return -1;
	*pp = p + 1;
	return hit != neg && c != '/';
}

static int
match(const char *p, const char *s)
{
	for (;;) {
		switch (*p) {
		case '\0':
			return *s == '\0';
		case '*':
			if (p[1] == '*') {
				const char *q = p + 2;
				/* "**" as a whole component: may also match no directory */
				if (*q == '/' && match(q + 1, s))
					return 1;
				for (;; s++) {
					if (match(q, s))
						return 1;
					if (!*s)
						return 0;
				}
			}
			for (p++;; s++) {
				if (match(p, s))
					return 1;
				if (!*s || *s == '/')
					return 0;
			}
		case '?':
			if (!*s || *s == '/')
				return 0;
			p++;
			s++;
			break;
		case '[': {
			const char *q = p;
			int r;
			if (!*s)
				return 0;
			r = classmatch(&q, (unsigned char)*s);
			if (r < 0) {
				if (*s != '[')
					return 0;
				p++;
				s++;
				break;
			}
			if (!r)
				return 0;
			p = q;
			s++;
			break;
		}
		case '\\':
			if (p[1])
				p++;
			/* FALLTHROUGH */
		default:
			if (*p != *s)
				return 0;
			p++;
			s++;
		}
	}
}

int
sp_glob_match(const char *pat, const char *path)
{
	return match(pat, path);
}

void
sp_filter_add(struct sp_filter *f, int include, const char *pattern)
{
	struct sp_rule *r;
	size_t n = strlen(pattern);
	char *p;

	f->r = sp_realloc(f->r, (f->n + 1) * sizeof *f->r);
	r = &f->r[f->n++];
	r->include = include;
	p = sp_strdup(pattern);
	r->dironly = n > 1 && p[n - 1] == '/';
	if (r->dironly)
		p[--n] = '\0';
	r->anchored = strchr(p, '/') != NULL;
	if (p[0] == '/')
		memmove(p, p + 1, n);
	r->pat = p;
}

int
sp_filter_excluded(const struct sp_filter *f, const char *path, int isdir)
{
	const char *base = strrchr(path, '/');
	int i;

	base = base ? base + 1 : path;
	for (i = f->n - 1; i >= 0; i--) {
		const struct sp_rule *r = &f->r[i];
		if (r->dironly && !isdir)
			continue;
		if (match(r->pat, r->anchored ? path : base))
			return !r->include;
	}
	return 0;
}

void
sp_filter_free(struct sp_filter *f)
{
	for (int i = 0; i < f->n; i++)
		free(f->r[i].pat);
	free(f->r);
	f->r = NULL;
	f->n = 0;
}
