/* frontmatter.h - split markdown into YAML frontmatter and body. */
#ifndef SP_FRONTMATTER_H
#define SP_FRONTMATTER_H

#include <stddef.h>

struct sp_fm {
	int has;		/* the text starts with a frontmatter block */
	const char *yaml;	/* the YAML between the delimiters (into buf) */
	size_t yaml_len;
	unsigned long yaml_line0;	/* lines before the YAML in the file */
	const char *body;	/* everything after the closing delimiter */
	size_t body_len;
};

/* Split buf[0..n): a leading UTF-8 byte order mark is skipped; when the
 * first line is "---" (trailing blanks and CR allowed), the frontmatter
 * runs to the next line that is "---", and the body starts after that
 * line; otherwise there is no frontmatter and the whole text is the body.
 * Returns 0, or -1 with "LINE: reason" in err for a frontmatter that is
 * never closed. Never allocates. */
int sp_fm_split(const char *buf, size_t n, struct sp_fm *fm, char *err, size_t errlen);

/* True when text s[0..n) would be taken for the start of a frontmatter
 * block or a byte order mark, so a writer must put an empty frontmatter
 * before it to keep it as body. */
int sp_fm_needs_guard(const char *s, size_t n);

#endif
