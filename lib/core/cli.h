/* cli.h - the options every tool shares: -h/--help, --version, usage errors. */
#ifndef SP_CLI_H
#define SP_CLI_H

#ifndef SP_VERSION
#define SP_VERSION "0.0.0"
/* Flush, check and close stdout; exit 74 naming the error on failure.
 * Call at the end of main of every tool that writes to stdout. */
void sp_finish_stdout(void);

#endif

/* Long-option entries for --help ('h') and --version ('V'). */
#define SP_STD_LONGOPTS {"help", no_argument, NULL, 'h'}, {"version", no_argument, NULL, 'V'}

/* Print usage on stdout and exit 0. */
void sp_help(const char *usage) __attribute__((noreturn));

/* Print "sp-NAME VERSION" on stdout and exit 0. */
void sp_version(void) __attribute__((noreturn));

/* Print "prog: message" and the usage on stderr, exit 2. A NULL fmt
 * prints only the usage (getopt has already said what was wrong). */
void sp_usage_die(const char *usage, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 2, 3)));

/* Parse a non-negative decimal integer option value in [min,max]; dies 2
 * naming the option on anything else. */
long long sp_parse_num(const char *opt, const char *s, long long min, long long max);

/* Parse a size with an optional K, M, G or T suffix (powers of 1024). */
long long sp_parse_size(const char *opt, const char *s);

/* Flush, check and close stdout; exit 74 naming the error on failure.
 * Call at the end of main of every tool that writes to stdout. */
void sp_finish_stdout(void);

#endif
