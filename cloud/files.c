/* files.c - the files endpoints of sp-cloudd: push (verify, then
 * store as the next generation), pull (ETag = manifest sha256, served from
 * the archive cache), delta (the part of it a client lacks), manifest. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <archive_entry.h>

#include "archive/delta.h"
#include "archive/sparchive.h"

#include "cloud/cache.h"
#include "cloud/call.h"
#include "cloud/endpoints.h"
#include "cloud/pool.h"
#include "cloud/store.h"
#include "core/err.h"
#include "core/tstamp.h"
#include "core/fsutil.h"

#define MANIFEST_NAME SP_MANIFEST_NAME
#define MANIFEST_MAX SP_MANIFEST_MAX

/* A plain tarball (no manifest inside) rewritten as an sp archive in a
 * new cache temp file (*path, *fd open), a->sha256 and a->size set to
 * its own; 0, or -1 after replying. */
static int
repack(struct cloud_call *k, struct cs_archive *a, char **path, int *fd)
{
	char err[1024];
	int rc;

	*fd = cloud_cache_tmp(k->srv, path);
	if (*fd < 0) {
		cloud_reply_error(k, 500, "archive cache: %s", strerror(errno));
		return -1;
	}
	if (lseek(k->body_fd, 0, SEEK_SET) < 0)
		rc = SP_EX_IOERR, snprintf(err, sizeof err, "spool: %s", strerror(errno));
	else
		rc = sp_archive_repack(k->body_fd, k->srv->cfg.max_tree, a->manifest, a->manifest_len,
		    *fd, 6, a->sha256, &a->size, err, sizeof err);
	if (rc != 0) {
		/* the first pass accepted it: a failure now is ours */
		cloud_reply_error(k, 500, "repacking the upload: %s", err);
		close(*fd);
		unlink(*path);
		free(*path);
		*path = NULL;
		*fd = -1;
		return -1;
	}
	return 0;
}

/* A verification slot: reading an archive through (a push, a merge, a
 * delta) is CPU-bound, at most --max-verify at once; others wait a little
 * (--db-wait), then are told to come back. 0 (sem_post it after), or -1
 * after replying 503. */
static int
verify_slot(struct cloud_call *k)
{
	struct timespec until;
	int rc;

	sp_deadline(&until, CLOCK_REALTIME, k->srv->cfg.db_wait);
	while ((rc = sem_timedwait(&k->srv->verify, &until)) != 0 && errno == EINTR)
		;
	if (rc != 0) {
		k->retry_after = 2;
		cloud_reply_error(k, 503, "busy: %d archives are being verified; retry", k->srv->cfg.max_verify);
		return -1;
	}
	return 0;
}

static int open_current(struct cloud_call *k, PGconn **c, struct cs_archive *a);

/* An incremental push (X-Sp-Base): the upload leaves out the files the
 * base generation holds unchanged; merged with it into the whole new
 * archive, stored only while the base is current (else 409). */
static void
push_delta(struct cloud_call *k)
{
	struct cs_archive cur, a;
	struct sp_merge mg;
	char err[1024], *path = NULL;
	json_t *reply;
	PGconn *c = NULL;
	int basefd = -1, out = -1, rc;

	memset(&a, 0, sizeof a);
	if (!sp_is_sha256(k->base)) {
		cloud_reply_error(k, 400, "X-Sp-Base: expected a manifest SHA-256 in lowercase hex");
		return;
	}
	if (verify_slot(k) != 0)
		return;
	if ((basefd = open_current(k, &c, &cur)) < 0)
		goto post;	/* it replied (404: nothing to build on) */
	k->etag[0] = k->generation[0] = '\0';	/* the reply is about the new one */
	if (strcmp(cur.manifest_sha256, k->base)) {
		cloud_reply_error(k, 409, "the base %.12s… is not the current generation (%lld, %.12s…): "
		    "plan the push again", k->base, cur.generation, cur.manifest_sha256);
		goto post;
	}
	if ((out = cloud_cache_tmp(k->srv, &path)) < 0) {
		cloud_reply_error(k, 500, "archive cache: %s", strerror(errno));
		goto post;
	}
	if (lseek(k->body_fd, 0, SEEK_SET) < 0)
		rc = SP_EX_IOERR, snprintf(err, sizeof err, "spool: %s", strerror(errno));
	else
		/* gzip -1 on every core: the merge recompresses the whole tree
		 * for a change of a few files (level 6 took 20 s for 1 GiB on
		 * two cores; deltas, not whole pulls, are the common case) */
		rc = sp_archive_merge(k->body_fd, basefd, k->srv->cfg.max_tree, out, 1,
		    (int)(sysconf(_SC_NPROCESSORS_ONLN) > 0 ? sysconf(_SC_NPROCESSORS_ONLN) : 1),
		    &a.manifest, &a.manifest_len, &mg, err, sizeof err);
	if (rc == 0 && lseek(out, 0, SEEK_SET) != 0)
		rc = SP_EX_IOERR, snprintf(err, sizeof err, "archive cache: %s", strerror(errno));
	if (rc) {
		if (rc == 409)
			cloud_reply_error(k, 409, "%s", err);
		else if (rc == SP_EX_DATAERR)
			cloud_reply_error(k, 400, "invalid archive: %s", err);
		else
			cloud_reply_error(k, 500, "merging the push: %s", err);
		goto post;
	}
	sem_post(&k->srv->verify);
	a.files = (int)(mg.received + mg.from_base);
	a.size = mg.size;
	a.base_id = cur.id;
	memcpy(a.sha256, mg.sha256, SP_HEXLEN);
	sp_sha256_hex(a.manifest, a.manifest_len, a.manifest_sha256);
	if (!c && !(c = cloud_conn(k)))
		goto out;
	rc = cs_archive_store(c, k->tenant, out, &a, k->srv->cfg.keep, err, sizeof err);
	if (rc == CS_EXISTS) {
		cloud_reply_error(k, 409, "%s: plan the push again", err);
	} else if (rc != CS_OK) {
		cloud_reply_store(k, c, rc, err);
	} else {
		reply = json_pack("{sisssIsssssIsbsIsI}", "files_uploaded", a.files,
		    "manifest_sha256", a.manifest_sha256, "generation", (json_int_t)a.generation,
		    "uploaded_at", a.uploaded_at, "sha256", a.sha256, "size", (json_int_t)a.size,
		    "delta", 1, "files_received", (json_int_t)mg.received,
		    "files_from_base", (json_int_t)mg.from_base);
		cloud_reply_json(k, 200, reply);
		cloud_mcache_put(k->srv->mcache, a.sha256, a.manifest, a.manifest_len);
		close(out);
		out = -1;
		cloud_cache_put(k->srv, path, a.sha256);
		path = NULL;
	}
	goto out;
post:
	sem_post(&k->srv->verify);
out:
	if (basefd >= 0)
		close(basefd);
	if (out >= 0)
		close(out);
	if (path) {
		unlink(path);
		free(path);
	}
	if (c)
		cloud_conn_done(k, c);
	cs_archive_clear(&a);
}

void
cloud_files_push(struct cloud_call *k)
{
	struct cs_archive a;
	json_t *manifest = NULL, *reply;
	char err[1024], *path;
	PGconn *c;
	int rc, plain = 0, fd;

	memset(&a, 0, sizeof a);
	if (!k->body_size) {
		cloud_reply_error(k, 400, "empty body: expected a tar.gz archive");
		return;
	}
	if (k->base) {
		push_delta(k);
		return;
	}
	/* one pass: verification hands back the manifest's exact bytes; a
	 * plain tarball (upstream's, no manifest) is hashed entry by entry
	 * and gets the manifest built from it */
	if (verify_slot(k) != 0)
		return;
	rc = sp_archive_verify_fd_opt(k->body_fd, k->srv->cfg.max_tree, SP_AR_PLAIN, &manifest,
	    &a.manifest, &a.manifest_len, &plain, err, sizeof err);
	if (rc || !plain)
		sem_post(&k->srv->verify);	/* a plain one holds it through the repack */
	if (rc == SP_EX_IOERR) {
		cloud_reply_error(k, 500, "reading the upload: %s", err);
		return;
	}
	if (rc != 0) {
		cloud_reply_error(k, 400, "invalid archive: %s", err);
		return;
	}
	a.files = (int)json_integer_value(json_object_get(manifest, "file_count"));
	/* ETag: the SHA-256 of the manifest's bytes, what sp-pack reports as
	 * manifest_sha256 and sha256sum computes of .sp-manifest.json */
	sp_sha256_hex(a.manifest, a.manifest_len, a.manifest_sha256);
	json_decref(manifest);
	path = k->body_path;
	fd = k->body_fd;
	a.size = k->body_size;
	memcpy(a.sha256, k->body_sha256, SP_HEXLEN);
	/* only sp archives are stored and served: a plain one is rewritten */
	if (plain) {
		rc = repack(k, &a, &path, &fd);
		sem_post(&k->srv->verify);
		if (rc != 0) {
			cs_archive_clear(&a);
			return;
		}
	}
	if (!(c = cloud_conn(k)))
		goto out;	/* it replied */
	rc = cs_archive_store(c, k->tenant, fd, &a, k->srv->cfg.keep, err, sizeof err);
	if (rc != CS_OK) {
		cloud_reply_store(k, c, rc, err);
	} else {
		reply = json_pack("{sisssIsssssI}", "files_uploaded", a.files,
		    "manifest_sha256", a.manifest_sha256, "generation", (json_int_t)a.generation,
		    "uploaded_at", a.uploaded_at, "sha256", a.sha256, "size", (json_int_t)a.size);
		if (plain)
			json_object_set_new(reply, "manifest_built", json_true());
		cloud_reply_json(k, 200, reply);
		cloud_mcache_put(k->srv->mcache, a.sha256, a.manifest, a.manifest_len);
		/* the stored archive seeds the cache */
		cloud_cache_put(k->srv, path, a.sha256);
		if (path == k->body_path)
			k->body_path = NULL;
		path = NULL;
	}
	cloud_conn_done(k, c);
out:
	if (plain) {
		close(fd);
		if (path) {
			unlink(path);
			free(path);
		}
	}
	cs_archive_clear(&a);
}

struct sink {
	int fd;
	sp_sha256 h;
};

static int
to_file(void *arg, const void *p, size_t n)
{
	struct sink *s = arg;

	sp_sha256_update(&s->h, p, n);
	return sp_write_all(s->fd, p, n);
}

/* Copy archive a from the database into the cache and open it; -1 with
 * err set when that fails or the archive changed on the way. */
static int
materialise(struct cloud_call *k, PGconn *c, const struct cs_archive *a, char *err, size_t errlen)
{
	struct sink s;
	char *tmp, hex[SP_HEXLEN];
	long long n;

	s.fd = cloud_cache_tmp(k->srv, &tmp);
	if (s.fd < 0) {
		snprintf(err, errlen, "archive cache: %s", strerror(errno));
		return -1;
	}
	sp_sha256_init(&s.h);
	n = cs_archive_fetch(c, a->id, to_file, &s, err, errlen);
	sp_sha256_final(&s.h, hex);
	if (close(s.fd) != 0 && n >= 0) {
		snprintf(err, errlen, "archive cache: %s", strerror(errno));
		n = -1;
	}
	if (n >= 0 && (n != a->size || strcmp(hex, a->sha256))) {
		snprintf(err, errlen, "archive %lld changed while being read", a->id);
		n = -1;
	}
	if (n < 0) {
		unlink(tmp);
		free(tmp);
		return -1;
	}
	cloud_cache_put(k->srv, tmp, a->sha256);
	return cloud_cache_open(k->srv, a->sha256, a->size);
}

/* The tenant's current archive (no manifest) into a: what came with the
 * token when first is set and it came, else from the database (opening
 * *c on demand). CS_* as cs_archive_current; replies on failure. */
static int
current(struct cloud_call *k, PGconn **c, int first, struct cs_archive *a)
{
	char err[1024];
	int rc;

	if (first && k->current) {
		if (k->has_current) {
			*a = *k->current;
			return CS_OK;
		}
		cloud_reply_error(k, 404, "nothing pushed yet");
		return CS_NOTFOUND;
	}
	if (!*c && !(*c = cloud_conn(k)))
		return CS_ERR;
	rc = cs_archive_current(*c, k->tenant, 0, a, err, sizeof err);
	if (rc != CS_OK)
		cloud_reply_store(k, *c, rc, err);
	return rc;
}

/* The tenant's current archive, open: from the cache, filled from the
 * database when it is not there (*c opened on demand); a set (no
 * manifest), k->etag and k->generation too. -1 when it replied, or when
 * If-None-Match matched (k->status 304). */
static int
open_current(struct cloud_call *k, PGconn **c, struct cs_archive *a)
{
	char err[1024] = "";
	int fd = -1, tries;

	for (tries = 0; tries < 3 && fd < 0; tries++) {
		if (current(k, c, tries == 0, a) != CS_OK)
			return -1;
		memcpy(k->etag, a->manifest_sha256, SP_HEXLEN);
		snprintf(k->generation, sizeof k->generation, "%lld", a->generation);
		if (cloud_etag_match(k->if_none_match, k->etag)) {
			k->status = 304;
			return -1;
		}
		fd = cloud_cache_open(k->srv, a->sha256, a->size);
		if (fd >= 0)
			break;
		if (!*c && !(*c = cloud_conn(k)))
			return -1;
		fd = materialise(k, *c, a, err, sizeof err);
		if (fd < 0 && sp_pg_lost(*c))
			break;
	}
	if (fd < 0)
		cloud_reply_store(k, *c, CS_ERR, err);
	return fd;
}

void
cloud_files_pull(struct cloud_call *k)
{
	struct cs_archive a;
	PGconn *c = NULL;
	int fd = open_current(k, &c, &a);

	if (fd >= 0) {
		k->status = 200;
		k->fd = fd;
		k->fdsize = a.size;
		k->ctype = "application/gzip";
	}
	if (c)
		cloud_conn_done(k, c);
}

/* The body of a delta request: lines of 64 lowercase hex digits, the
 * hashes the client has, into a sorted set; -1 after replying 400. */
static int
read_have(struct cloud_call *k, char ***have, size_t *n)
{
	FILE *fp;
	char *line = NULL;
	size_t cap = 0, len, no = 0;
	ssize_t got;
	int fd;

	*have = NULL;
	*n = 0;
	if (k->body_fd < 0 || (fd = fcntl(k->body_fd, F_DUPFD_CLOEXEC, 0)) < 0)
		return 0;
	if (lseek(fd, 0, SEEK_SET) < 0 || !(fp = fdopen(fd, "r"))) {
		close(fd);
		cloud_reply_error(k, 500, "reading the body: %s", strerror(errno));
		return -1;
	}
	while ((got = getline(&line, &cap, fp)) > 0) {
		no++;
		len = (size_t)got;
		if (line[len - 1] == '\n')
			line[--len] = '\0';
		if (len != SP_HEXLEN - 1 || strspn(line, "0123456789abcdef") != len) {
			cloud_reply_error(k, 400, "body line %zu: expected a SHA-256 in lowercase hex", no);
			for (size_t i = 0; i < *n; i++)
				free((*have)[i]);
			free(*have);
			*have = NULL;
			*n = 0;
			free(line);
			fclose(fp);
			return -1;
		}
		*have = sp_realloc(*have, (*n + 1) * sizeof **have);
		(*have)[(*n)++] = sp_strdup(line);
	}
	free(line);
	fclose(fp);
	*n = sp_delta_sort(*have, *n);
	return 0;
}

void
cloud_files_delta(struct cloud_call *k)
{
	struct cs_archive a;
	struct sp_delta d;
	char err[1024], **have;
	size_t nhave;
	PGconn *c = NULL;
	int fd = -1, out = -1, rc;

	if (read_have(k, &have, &nhave) != 0)
		return;
	/* building it reads (and checks) the whole archive: CPU-bound, under
	 * the same --max-verify bound as a push */
	if (verify_slot(k) != 0)
		goto out;
	if ((fd = open_current(k, &c, &a)) < 0)
		goto post;
	if ((out = cloud_spool_anon(k, "delta")) < 0)
		goto post;
	rc = sp_archive_delta(fd, k->srv->cfg.max_tree, have, nhave, out, 6, &d, err, sizeof err);
	if (rc == 0 && lseek(out, 0, SEEK_SET) != 0)
		rc = SP_EX_IOERR, snprintf(err, sizeof err, "spool: %s", strerror(errno));
	if (rc != 0) {
		/* the stored archive was verified when it came: a failure is ours */
		cloud_reply_error(k, 500, "building the delta: %s", err);
		close(out);
		goto post;
	}
	k->status = 200;
	k->fd = out;
	k->fdsize = d.size;
	k->ctype = "application/gzip";
post:
	sem_post(&k->srv->verify);
out:
	if (fd >= 0)
		close(fd);
	if (c)
		cloud_conn_done(k, c);
	for (size_t i = 0; i < nhave; i++)
		free(have[i]);
	free(have);
}

void
cloud_files_manifest(struct cloud_call *k)
{
	struct cs_archive a;
	char err[1024];
	PGconn *c = NULL;
	int rc;

	memset(&a, 0, sizeof a);
	if (current(k, &c, 1, &a) != CS_OK)
		goto out;
	memcpy(k->etag, a.manifest_sha256, SP_HEXLEN);
	snprintf(k->generation, sizeof k->generation, "%lld", a.generation);
	if (cloud_etag_match(k->if_none_match, k->etag)) {
		k->status = 304;
		goto out;
	}
	if (cloud_mcache_get(k->srv->mcache, a.sha256, &a.manifest, &a.manifest_len) != 0) {
		if (!c && !(c = cloud_conn(k)))
			goto out;
		rc = cs_archive_current(c, k->tenant, 1, &a, err, sizeof err);
		if (rc != CS_OK) {
			cloud_reply_store(k, c, rc, err);
			goto out;
		}
		cloud_mcache_put(k->srv->mcache, a.sha256, a.manifest, a.manifest_len);
		memcpy(k->etag, a.manifest_sha256, SP_HEXLEN);
		snprintf(k->generation, sizeof k->generation, "%lld", a.generation);
	}
	k->status = 200;
	k->buf = a.manifest;
	k->buflen = a.manifest_len;
	k->ctype = "application/json";
	a.manifest = NULL;
out:
	if (c)
		cloud_conn_done(k, c);
	cs_archive_clear(&a);
}
