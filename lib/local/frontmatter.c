/* frontmatter.c - split markdown into YAML frontmatter and body. */
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "local/frontmatter.h"

/* Length of the line starting at p (without its line break), and the
 * offset of the next line in *next. */
static size_t
line_at(const char *p, const char *end, const char **next)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));

	*next = nl ? nl + 1 : end;
	return (size_t)((nl ? nl : end) - p);
}

/* True when line[0..n) is a "---" delimiter, blanks and a CR allowed after. */
static int
is_delim(const char *line, size_t n)
{
	if (n < 3 || memcmp(line, "---", 3))
		return 0;
	for (size_t i = 3; i < n; i++)
		if (line[i] != ' ' && line[i] != '\t' && line[i] != '\r')
			return 0;
	return 1;
}

int
sp_fm_split(const char *buf, size_t n, struct sp_fm *fm, char *err, size_t errlen)
{
	const char *p = buf, *end = buf + n, *next;
	unsigned long line = 1;
	size_t len;

	memset(fm, 0, sizeof *fm);
	if (n >= 3 && !memcmp(p, "\xef\xbb\xbf", 3))
		p += 3;
	len = line_at(p, end, &next);
	if (!is_delim(p, len) || next == p + len) {
		/* no frontmatter (a lone "---" without a line break is body) */
		fm->body = p;
		fm->body_len = (size_t)(end - p);
		return 0;
	}
	fm->has = 1;
	fm->yaml = next;
	fm->yaml_line0 = 1;
	for (p = next; p < end; p = next) {
		line++;
		len = line_at(p, end, &next);
		if (is_delim(p, len)) {
			fm->yaml_len = (size_t)(p - fm->yaml);
			fm->body = next;
			fm->body_len = (size_t)(end - next);
			return 0;
		}
	}
	snprintf(err, errlen, "1: frontmatter opened here is never closed with \"---\"");
	return -1;
}

int
sp_fm_needs_guard(const char *s, size_t n)
{
	const char *next;
	size_t len;

	if (n >= 3 && !memcmp(s, "\xef\xbb\xbf", 3))
		return 1;
	len = line_at(s, s + n, &next);
	return is_delim(s, len) && next != s + len;
}
