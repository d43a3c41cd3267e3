/* cache.c - sp-cloudd's caches: archives as files named by their
 * SHA-256 (served with sendfile), manifests in memory by their archive's
 * SHA-256.
 * Both are keyed by content, so they can never serve stale data; the
 * database stays the source of truth. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cloud/cache.h"
#include "core/err.h"
#include "core/hash.h"

int
cloud_cache_open(struct cloud_server *s, const char *sha256, long long size)
{
	char *path = sp_asprintf("%s/%s", s->cache, sha256);
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	free(path);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size != size) {
		close(fd);
		return -1;
	}
	futimens(fd, NULL);	/* recently used: evicted last */
	return fd;
}

int
cloud_cache_tmp(struct cloud_server *s, char **path)
{
	int fd;

	*path = sp_asprintf("%s/.sp-tmp.cache.XXXXXX", s->cache);
	fd = mkostemp(*path, O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		free(*path);
		*path = NULL;
		errno = e;
	}
	return fd;
}

struct centry {
	char *name;
	long long size;
	struct timespec mtime;
};

static int
by_age(const void *x, const void *y)
{
	const struct centry *a = x, *b = y;

	if (a->mtime.tv_sec != b->mtime.tv_sec)
		return a->mtime.tv_sec < b->mtime.tv_sec ? -1 : 1;
	if (a->mtime.tv_nsec != b->mtime.tv_nsec)
		return a->mtime.tv_nsec < b->mtime.tv_nsec ? -1 : 1;
	return 0;
}

/* Remove the least recently used archives until the cache fits its bound;
 * keep is never removed. Open files stay readable after removal. */
static void
trim(struct cloud_server *s, const char *keep)
{
	DIR *d = opendir(s->cache);
	struct dirent *e;
	struct centry *v = NULL;
	size_t n = 0, cap = 0, i;
	long long total = 0;

	if (!d)
		return;
	while ((e = readdir(d))) {
		struct stat st;
		if (!sp_is_sha256(e->d_name) || fstatat(dirfd(d), e->d_name, &st, 0) != 0)
			continue;
		if (n == cap)
			v = sp_realloc(v, (cap = cap ? 2 * cap : 16) * sizeof *v);
		v[n].name = sp_strdup(e->d_name);
		v[n].size = st.st_size;
		v[n].mtime = st.st_mtim;
		total += st.st_size;
		n++;
	}
	closedir(d);
	if (n)
		qsort(v, n, sizeof *v, by_age);
	for (i = 0; i < n; i++) {
		if (total > s->cfg.cache_size && strcmp(v[i].name, keep)) {
			char *p = sp_asprintf("%s/%s", s->cache, v[i].name);
			if (unlink(p) == 0)
				total -= v[i].size;
			free(p);
		}
		free(v[i].name);
	}
	free(v);
}

void
cloud_cache_put(struct cloud_server *s, char *path, const char *sha256)
{
	char *dst = sp_asprintf("%s/%s", s->cache, sha256);

	pthread_mutex_lock(&s->cache_mu);
	if (rename(path, dst) != 0)
		unlink(path);
	trim(s, sha256);
	pthread_mutex_unlock(&s->cache_mu);
	free(dst);
	free(path);
}

#define MCACHE_SLOTS 64

struct cloud_mcache {
	pthread_mutex_t mu;
	struct {
		char sha[SP_HEXLEN];
		char *buf;
		size_t len;
		unsigned long long used;
	} slot[MCACHE_SLOTS];
	unsigned long long clock;
};

struct cloud_mcache *
cloud_mcache_new(void)
{
	struct cloud_mcache *m = sp_calloc(1, sizeof *m);

	pthread_mutex_init(&m->mu, NULL);
	return m;
}

void
cloud_mcache_free(struct cloud_mcache *m)
{
	int i;

	if (!m)
		return;
	for (i = 0; i < MCACHE_SLOTS; i++)
		free(m->slot[i].buf);
	pthread_mutex_destroy(&m->mu);
	free(m);
}

int
cloud_mcache_get(struct cloud_mcache *m, const char *sha256, char **buf, size_t *len)
{
	int i, rc = -1;

	pthread_mutex_lock(&m->mu);
	for (i = 0; i < MCACHE_SLOTS; i++) {
		if (m->slot[i].buf && !strcmp(m->slot[i].sha, sha256)) {
			*buf = sp_malloc(m->slot[i].len + 1);
			memcpy(*buf, m->slot[i].buf, m->slot[i].len);
			(*buf)[m->slot[i].len] = '\0';
			*len = m->slot[i].len;
			m->slot[i].used = ++m->clock;
			rc = 0;
			break;
		}
	}
	pthread_mutex_unlock(&m->mu);
	return rc;
}

void
cloud_mcache_put(struct cloud_mcache *m, const char *sha256, const char *buf, size_t len)
{
	int i, victim = 0;

	if (len > (16u << 20))	/* huge manifests are not worth the memory */
		return;
	pthread_mutex_lock(&m->mu);
	for (i = 0; i < MCACHE_SLOTS; i++) {
		if (m->slot[i].buf && !strcmp(m->slot[i].sha, sha256))
			goto out;
		if (!m->slot[i].buf || m->slot[i].used < m->slot[victim].used)
			victim = i;
		if (!m->slot[i].buf)
			break;
	}
	free(m->slot[victim].buf);
	m->slot[victim].buf = sp_malloc(len ? len : 1);
	memcpy(m->slot[victim].buf, buf, len);
	m->slot[victim].len = len;
	snprintf(m->slot[victim].sha, SP_HEXLEN, "%s", sha256);
	m->slot[victim].used = ++m->clock;
out:
	pthread_mutex_unlock(&m->mu);
}
