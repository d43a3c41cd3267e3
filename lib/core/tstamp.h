/* tstamp.h - dates and times as RFC 3339 UTC text (timestamptz in rows). */
#ifndef SP_TSTAMP_H
#define SP_TSTAMP_H

#include <stdint.h>
#include <time.h>

#define SP_TSTAMP_LEN 64

/* Normalise a date ("2026-11-23") or date-time ("2026-11-23T18:22:00",
 * "T" or "t" or blanks between, optional seconds, fraction and "Z" or
 * +HH[:MM] offset; no offset means UTC) into out as RFC 3339 in UTC:
 * "2026-11-23T18:22:00Z", with the fraction rounded to microseconds and
 * trailing zeros dropped ("…:00.12Z"). Returns 0, or -1 when s is not a
 * valid date (bad field ranges, years outside 1-9999 included). */
int sp_tstamp_norm(const char *s, char out[SP_TSTAMP_LEN]);

/* The friendliest text for a normalised timestamp: "2026-11-23" when it
 * is midnight UTC, else the normalised form itself. */
void sp_tstamp_short(const char *norm, char out[SP_TSTAMP_LEN]);

/* Days since 1970-01-01 of a proleptic Gregorian date, and back
 * (Howard Hinnant's algorithms); any int64 day count. */
int64_t sp_days_from_civil(int64_t y, unsigned m, unsigned d);
void sp_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);

/* True for a Gregorian leap year. */
int sp_leap_year(int64_t y);

/* Read exactly n decimal digits at *s into *v, advancing *s; -1 when one
 * is not a digit. */
int sp_digits(const char **s, int n, int *v);

/* Microseconds since 2000-01-01 00:00:00 UTC (PostgreSQL's timestamptz);
 * these two mean 'infinity' and '-infinity'. */
#define SP_TS_INFINITY INT64_MAX
#define SP_TS_NINFINITY INT64_MIN

/* Parse an RFC 3339 date-time ("2026-11-23T19:22:00.5+01:00", 'T' or a
 * space, 'Z' or an offset; years 0001-9999; a bare date is midnight UTC;
 * "infinity"/"-infinity") into microseconds since 2000 UTC, rounding
 * digits beyond the sixth. 0, or -1 with *why set. */
int sp_ts_parse(const char *s, int64_t *out, const char **why);

/* Format microseconds since 2000 as RFC 3339 in UTC with 'T' and 'Z',
 * fractional seconds without trailing zeros ("2026-11-23T18:22:00.12Z").
 * out needs 40 bytes. */
void sp_ts_format(int64_t us, char *out);

/* "YYYY-MM-DDTHH:MM:SSZ" for t into buf[21]. */
void sp_rfc3339(long long t, char *buf);

/* *ts = secs from now on clock (for pthread_cond_timedwait and the like). */
void sp_deadline(struct timespec *ts, clockid_t clock, double secs);

/* Seconds on the monotonic clock (for deadlines and durations). */
double sp_monotonic(void);

#endif
