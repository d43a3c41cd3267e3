/* steps.c - a plan of named steps run from argument vectors. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "core/proc.h"
#include "deploy/steps.h"

struct sp_step *
sp_plan_addv(struct sp_plan *p, const char *name, char *const argv[])
{
	struct sp_step *s;
	size_t n = 0;

	if (p->n == p->cap)
		p->v = sp_realloc(p->v, (p->cap = p->cap ? 2 * p->cap : 8) * sizeof *p->v);
	s = &p->v[p->n++];
	memset(s, 0, sizeof *s);
	s->name = sp_strdup(name);
	while (argv[n])
		n++;
	s->argv = sp_calloc(n + 1, sizeof *s->argv);
	for (size_t i = 0; i < n; i++)
		s->argv[i] = sp_strdup(argv[i]);
	return s;
}

struct sp_step *
sp_plan_add(struct sp_plan *p, const char *name, const char *input, ...)
{
	char *argv[64];
	struct sp_step *s;
	va_list ap;
	int n = 0;

	va_start(ap, input);
	while (n < 63 && (argv[n] = va_arg(ap, char *)))
		n++;
	va_end(ap);
	argv[n] = NULL;
	s = sp_plan_addv(p, name, argv);
	if (input)
		s->input = sp_strdup(input);
	return s;
}

void
sp_plan_free(struct sp_plan *p)
{
	for (size_t i = 0; i < p->n; i++) {
		struct sp_step *s = &p->v[i];
		free(s->name);
		for (char **a = s->argv; *a; a++)
			free(*a);
		free(s->argv);
		if (s->input) {
			explicit_bzero(s->input, strlen(s->input));
			free(s->input);
		}
	}
	free(p->v);
	memset(p, 0, sizeof *p);
}

json_t *
sp_step_record(const struct sp_step *s, int status, long long ms)
{
	json_t *cmd = json_array();

	for (char **a = s->argv; *a; a++)
		json_array_append_new(cmd, json_string(*a));
	return json_pack("{s:s, s:s, s:o, s:o, s:o}", "type", "step", "name", s->name,
	    "command", cmd, "status", status < 0 ? json_null() : json_integer(status),
	    "duration_ms", status < 0 ? json_null() : json_integer(ms));
}

int
sp_step_run(const struct sp_step *s, long long *ms, char *err, size_t errlen)
{
	long long t0 = sp_now_ms();
	struct sp_proc p;
	int rc;

	*ms = 0;
	if (sp_proc_start(&p, s->argv, s->input ? SP_PROC_IN_PIPE : SP_PROC_IN_NULL, err,
	    errlen) < 0)
		return -1;
	if (s->input) {
		/* A command that exits without reading it says so by its status. */
		(void)sp_proc_feed(p.in, s->input, strlen(s->input));
		close(p.in);
		p.in = -1;
	}
	rc = sp_proc_wait(&p);
	*ms = sp_now_ms() - t0;
	return rc;
}
