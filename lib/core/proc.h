/* proc.h - child processes started from an argument vector, never a shell. */
#ifndef SP_PROC_H
#define SP_PROC_H

#include <stddef.h>
#include <sys/types.h>

/* Where the child's standard streams go (OR one of each group). */
enum {
	SP_PROC_IN_NULL = 0,	/* stdin from /dev/null (the default) */
	SP_PROC_IN_PIPE = 1,	/* stdin from a pipe: write to p->in */
	SP_PROC_OUT_STDERR = 0,	/* stdout to our stderr (the default) */
	SP_PROC_OUT_PIPE = 2,	/* stdout into a pipe: read p->out */
	SP_PROC_ERR_INHERIT = 0, /* stderr to our stderr (the default) */
	SP_PROC_ERR_PIPE = 4,	/* stderr into a pipe: read p->err */
	SP_PROC_ERR_NULL = 8,	/* stderr to /dev/null */
	SP_PROC_PGROUP = 16,	/* the child leads a new process group */
};

struct sp_proc {
	pid_t pid;
	int in, out, err;	/* our ends of the pipes asked for, else -1 */
};

/* Start argv[0] (searched in PATH) with argv, the streams as flags say,
 * SIGPIPE and every other signal at its default and none blocked. The
 * pipe ends are close-on-exec and blocking. Returns 0, or -1 with
 * "cannot run ARGV0: reason" in err (nothing is left open). Never dies. */
int sp_proc_start(struct sp_proc *p, char *const argv[], int flags, char *err, size_t errlen);

/* Close the pipe ends still open and wait for the child; returns its
 * exit status, 128+N when signal N killed it, or -1 if waitpid fails. */
int sp_proc_wait(struct sp_proc *p);

/* Write buf[0..n) to fd, which may be a pipe whose reader has gone:
 * SIGPIPE is held back meanwhile. 0, or -1 with errno set (EPIPE). */
int sp_proc_feed(int fd, const void *buf, size_t n);

/* Run argv to the end, stdin from /dev/null, its stdout collected in
 * *out (NUL-terminated, *outlen bytes; caller frees), stderr as flags say
 * (SP_PROC_ERR_INHERIT or SP_PROC_ERR_NULL). Returns the exit status as
 * sp_proc_wait, or -1 with the reason in err (and *out NULL). */
int sp_proc_capture(char *const argv[], int flags, char **out, size_t *outlen,
    char *err, size_t errlen);

/* Milliseconds on the monotonic clock, for durations. */
long long sp_now_ms(void);

#endif
