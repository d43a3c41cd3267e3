/* proc.c - child processes started from an argument vector, never a shell. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/proc.h"

extern char **environ;

static void
close_pair(int fd[2])
{
	if (fd[0] >= 0)
		close(fd[0]);
	if (fd[1] >= 0)
		close(fd[1]);
	fd[0] = fd[1] = -1;
}

int
sp_proc_start(struct sp_proc *p, char *const argv[], int flags, char *err, size_t errlen)
{
	int in[2] = {-1, -1}, out[2] = {-1, -1}, er[2] = {-1, -1};
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, all;
	int rc;

	p->pid = -1;
	p->in = p->out = p->err = -1;
	if (((flags & SP_PROC_IN_PIPE) && pipe2(in, O_CLOEXEC) < 0) ||
	    ((flags & SP_PROC_OUT_PIPE) && pipe2(out, O_CLOEXEC) < 0) ||
	    ((flags & SP_PROC_ERR_PIPE) && pipe2(er, O_CLOEXEC) < 0)) {
		snprintf(err, errlen, "cannot run %s: pipe: %s", argv[0], strerror(errno));
		close_pair(in), close_pair(out), close_pair(er);
		return -1;
	}
	posix_spawn_file_actions_init(&fa);
	if (flags & SP_PROC_IN_PIPE)
		posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	else
		posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (flags & SP_PROC_OUT_PIPE)
		posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	else
		posix_spawn_file_actions_adddup2(&fa, 2, 1);
	if (flags & SP_PROC_ERR_PIPE)
		posix_spawn_file_actions_adddup2(&fa, er[1], 2);
	else if (flags & SP_PROC_ERR_NULL)
		posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);

	posix_spawnattr_init(&at);
	sigemptyset(&none);
	sigfillset(&all);
	sigdelset(&all, SIGKILL);
	sigdelset(&all, SIGSTOP);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &all);
	if (flags & SP_PROC_PGROUP)
		posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
	    ((flags & SP_PROC_PGROUP) ? POSIX_SPAWN_SETPGROUP : 0));

	rc = posix_spawnp(&p->pid, argv[0], &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	if (rc != 0) {
		snprintf(err, errlen, "cannot run %s: %s", argv[0], strerror(rc));
		close_pair(in), close_pair(out), close_pair(er);
		p->pid = -1;
		return -1;
	}
	if (in[0] >= 0)
		close(in[0]);
	if (out[1] >= 0)
		close(out[1]);
	if (er[1] >= 0)
		close(er[1]);
	p->in = in[1];
	p->out = out[0];
	p->err = er[0];
	return 0;
}

int
sp_proc_wait(struct sp_proc *p)
{
	int st;

	if (p->in >= 0)
		close(p->in);
	if (p->out >= 0)
		close(p->out);
	if (p->err >= 0)
		close(p->err);
	p->in = p->out = p->err = -1;
	if (p->pid <= 0)
		return -1;
	while (waitpid(p->pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	p->pid = -1;
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return -1;
}

int
sp_proc_feed(int fd, const void *buf, size_t n)
{
	const char *s = buf;
	sigset_t pipe, old;
	struct timespec zero = {0, 0};
	int rc = 0, e = 0;

	/* Block SIGPIPE, write, then take any SIGPIPE we caused off the
	 * pending set before unblocking, so a reader that went away is an
	 * EPIPE here and not the death of this process. */
	sigemptyset(&pipe);
	sigaddset(&pipe, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe, &old);
	while (n > 0) {
		ssize_t w = write(fd, s, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			rc = -1;
			e = errno;
			break;
		}
		s += w;
		n -= (size_t)w;
	}
	if (e == EPIPE && !sigismember(&old, SIGPIPE))
		while (sigtimedwait(&pipe, NULL, &zero) < 0 && errno == EINTR)
			;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = e;
	return rc;
}

int
sp_proc_capture(char *const argv[], int flags, char **out, size_t *outlen, char *err,
    size_t errlen)
{
	struct sp_proc p;
	size_t len = 0, cap = 4096;
	char *buf;
	int rc;

	*out = NULL;
	*outlen = 0;
	if (!(buf = malloc(cap))) {
		snprintf(err, errlen, "cannot run %s: out of memory", argv[0]);
		return -1;
	}
	if (sp_proc_start(&p, argv, SP_PROC_OUT_PIPE | (flags & SP_PROC_ERR_NULL), err, errlen) < 0) {
		free(buf);
		return -1;
	}
	for (;;) {
		ssize_t r;
		if (cap - len < 2) {
			char *nb = realloc(buf, cap *= 2);
			if (!nb) {
				snprintf(err, errlen, "%s: out of memory", argv[0]);
				free(buf);
				sp_proc_wait(&p);
				return -1;
			}
			buf = nb;
		}
		r = read(p.out, buf + len, cap - len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	buf[len] = '\0';
	rc = sp_proc_wait(&p);
	*out = buf;
	*outlen = len;
	return rc;
}

long long
sp_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
