/* textfile.h - whole small text files in and out of memory, and sorted
 * directory listings. */
#ifndef SP_TEXTFILE_H
#define SP_TEXTFILE_H

#include <stddef.h>

/* The largest text file read (a page, an instruction file): 16 MiB;
 * a larger one is EFBIG. */
#define SP_TEXT_MAX (16LL << 20)

/* Read the regular file rel below the directory dirfd (no symlinks on the
 * way, see sp_open_beneath) into a malloc'd NUL-terminated buffer; length
 * in *n. Returns 0, or an errno value (EINVAL for a non-regular file). */
int sp_text_read_at(int dirfd, const char *rel, char **buf, size_t *n);

/* Same for a path (no symlink at its last component). */
int sp_text_read(const char *path, char **buf, size_t *n);

/* True when the regular file path exists and holds exactly p[0..n). */
int sp_text_same(const char *path, const char *p, size_t n);

struct sp_dirent {
	char *name;
	int isdir;	/* a directory (never a symlink to one) */
	int isreg;	/* a regular file */
};

/* The entries of directory path except ".", "..", names starting with "."
 * and temporary ".sp-tmp." files, sorted bytewise; *n entries. Returns 0
 * or an errno value. */
int sp_dir_list(const char *path, struct sp_dirent **ents, size_t *n);

/* Free a listing. */
void sp_dir_free(struct sp_dirent *ents, size_t n);

/* A malloc'd copy of s[0..n) with every CR LF (and any run of CRs
 * before an LF) turned into LF, so that applying it twice changes nothing;
 * length in *outlen, NUL-terminated. */
char *sp_crlf_to_lf(const char *s, size_t n, size_t *outlen);

#endif
