/* textfile.c - whole small text files, and sorted directory listings. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "core/fsutil.h"
#include "core/textfile.h"

static int
read_fd(int fd, char **buf, size_t *n)
{
	struct stat st;
	size_t cap, len = 0;
	char *p;

	if (fstat(fd, &st) != 0)
		return errno;
	if (!S_ISREG(st.st_mode))
		return EINVAL;
	if (st.st_size > SP_TEXT_MAX)
		return EFBIG;
	cap = (size_t)st.st_size + 1;
	p = sp_malloc(cap + 1);
	for (;;) {
		ssize_t r = read(fd, p + len, cap - len);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			free(p);
			return e;
		}
		if (r == 0)
			break;
		len += (size_t)r;
		if (len > SP_TEXT_MAX) {	/* it grew while read */
			free(p);
			return EFBIG;
		}
		if (len == cap) {
			cap *= 2;
			p = sp_realloc(p, cap + 1);
		}
	}
	p[len] = '\0';
	*buf = p;
	*n = len;
	return 0;
}

int
sp_text_read_at(int dirfd, const char *rel, char **buf, size_t *n)
{
	int fd = sp_open_beneath(dirfd, rel, O_RDONLY | O_NONBLOCK | O_CLOEXEC), e;

	if (fd < 0)
		return errno;
	e = read_fd(fd, buf, n);
	close(fd);
	return e;
}

int
sp_text_read(const char *path, char **buf, size_t *n)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC), e;

	if (fd < 0)
		return errno;
	e = read_fd(fd, buf, n);
	close(fd);
	return e;
}

int
sp_text_same(const char *path, const char *p, size_t n)
{
	char *buf;
	size_t len;
	int same;

	if (sp_text_read(path, &buf, &len))
		return 0;
	same = len == n && !memcmp(buf, p, n);
	free(buf);
	return same;
}

static int
entcmp(const void *a, const void *b)
{
	return strcmp(((const struct sp_dirent *)a)->name, ((const struct sp_dirent *)b)->name);
}

int
sp_dir_list(const char *path, struct sp_dirent **ents, size_t *n)
{
	DIR *d = opendir(path);
	struct sp_dirent *v = NULL;
	struct dirent *de;
	size_t k = 0, cap = 0;

	if (!d)
		return errno;
	while ((errno = 0, de = readdir(d))) {
		struct stat st;

		if (de->d_name[0] == '.' || strstr(de->d_name, ".sp-tmp."))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
			continue;
		if (k == cap) {
			cap = cap ? 2 * cap : 16;
			v = sp_realloc(v, cap * sizeof *v);
		}
		v[k].name = sp_strdup(de->d_name);
		v[k].isdir = S_ISDIR(st.st_mode);
		v[k].isreg = S_ISREG(st.st_mode);
		k++;
	}
	if (errno) {
		int e = errno;
		closedir(d);
		sp_dir_free(v, k);
		return e;
	}
	closedir(d);
	if (k)
		qsort(v, k, sizeof *v, entcmp);
	*ents = v;
	*n = k;
	return 0;
}

void
sp_dir_free(struct sp_dirent *ents, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(ents[i].name);
	free(ents);
}

char *
sp_crlf_to_lf(const char *s, size_t n, size_t *outlen)
{
	char *o = sp_malloc(n + 1);
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		if (s[i] == '\r') {
			size_t j = i;
			while (j < n && s[j] == '\r')
				j++;
			if (j < n && s[j] == '\n') {
				i = j - 1;	/* drop the whole run of CRs */
				continue;
			}
		}
		o[k++] = s[i];
	}
	o[k] = '\0';
	*outlen = k;
	return o;
}
