/* words.c - split a command line into an argument vector, without a shell. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/words.h"

void
sp_words_free(char **v)
{
	for (char **p = v; p && *p; p++)
		free(*p);
	free(v);
}

char **
sp_words(const char *s, char *err, size_t errlen)
{
	size_t n = 0, len = strlen(s);
	char **v = calloc(len / 2 + 2, sizeof *v);	/* at most that many words */
	char *w = NULL, *q = NULL;
	char quote = 0;

	if (!v) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	for (const char *p = s;; p++) {
		char c = *p;
		if (!c || (!quote && (c == ' ' || c == '\t' || c == '\n'))) {
			if (quote) {
				snprintf(err, errlen, "unterminated %c quote in \"%s\"", quote, s);
				goto fail;
			}
			if (w) {
				*q = '\0';
				v[n++] = w;
				w = NULL;
			}
			if (!c)
				break;
			continue;
		}
		if (!w && !(q = w = malloc(len + 1))) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		if (quote == '\'') {
			if (c == '\'')
				quote = 0;
			else
				*q++ = c;
		} else if (quote == '"') {
			if (c == '"')
				quote = 0;
			else if (c == '\\' && p[1] && strchr("\"\\$`", p[1]))
				*q++ = *++p;
			else
				*q++ = c;
		} else if (c == '\'' || c == '"') {
			quote = c;
		} else if (c == '\\') {
			if (!p[1]) {
				snprintf(err, errlen, "trailing backslash in \"%s\"", s);
				goto fail;
			}
			*q++ = *++p;
		} else {
			*q++ = c;
		}
	}
	if (n == 0) {
		snprintf(err, errlen, "empty command");
		goto fail;
	}
	return v;
fail:
	free(w);
	sp_words_free(v);
	return NULL;
}

char *
sp_words_join(char *const v[])
{
	size_t n = 1;
	char *s, *q;

	for (char *const *p = v; *p; p++)
		n += 4 * strlen(*p) + 3;
	q = s = sp_malloc(n);
	for (char *const *p = v; *p; p++) {
		const char *w = *p;
		if (p != v)
			*q++ = ' ';
		if (*w && strspn(w, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		    "0123456789_./:=@%+,-") == strlen(w)) {
			q = stpcpy(q, w);
			continue;
		}
		*q++ = '\'';
		for (; *w; w++) {
			if (*w == '\'')
				q = stpcpy(q, "'\\''");
			else
				*q++ = *w;
		}
		*q++ = '\'';
	}
	*q = '\0';
	return s;
}
