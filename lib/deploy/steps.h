/* steps.h - a plan of named steps, each a command run from an argument
 * vector (no shell), and the "step" records that report them (sp(7) "RECORDS"). */
#ifndef SP_STEPS_H
#define SP_STEPS_H

#include <stddef.h>
#include <jansson.h>

struct sp_step {
	char *name;
	char **argv;		/* the command, NULL-terminated */
	char *input;		/* fed on its stdin (a secret: never shown), or NULL */
	int internal;		/* not a command: argv only describes the step */
};

struct sp_plan {
	struct sp_step *v;
	size_t n, cap;
};

/* Append a step running the words that follow name (NULL-terminated),
 * copied; input (copied, may be NULL) is fed on its stdin. */
struct sp_step *sp_plan_add(struct sp_plan *p, const char *name, const char *input, ...)
	__attribute__((sentinel));

/* Append a step running a copy of argv. */
struct sp_step *sp_plan_addv(struct sp_plan *p, const char *name, char *const argv[]);

/* Free every step, wiping the inputs. */
void sp_plan_free(struct sp_plan *p);

/* A step record {"type":"step","name","command":[argv…],"status",
 * "duration_ms"}; status < 0 (not run: the plan) makes status and
 * duration_ms null. */
json_t *sp_step_record(const struct sp_step *s, int status, long long ms);

/* Run the step's command with stdout and stderr both on our stderr (so
 * our stdout stays NDJSON) and its input (or /dev/null) on stdin; *ms
 * gets the duration. Returns the exit status (128+N for signal N), or -1
 * with "cannot run …" in err. Never dies. */
int sp_step_run(const struct sp_step *s, long long *ms, char *err, size_t errlen);

#endif
