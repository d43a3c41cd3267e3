/* tstamp.c - dates and times as RFC 3339 UTC text. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/tstamp.h"

int
sp_digits(const char **s, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++, (*s)++) {
		if (**s < '0' || **s > '9')
			return -1;
		*v = *v * 10 + (**s - '0');
	}
	return 0;
}

int
sp_leap_year(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int64_t
sp_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

void
sp_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

int
sp_tstamp_norm(const char *s, char out[SP_TSTAMP_LEN])
{
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int y, mo, d, h = 0, mi = 0, sec = 0, oh = 0, om = 0, sign = 0;
	long long us = 0, t, day;
	int64_t yy;
	unsigned mm, dd;
	char frac[24];

	if (sp_digits(&s, 4, &y) || *s++ != '-' || sp_digits(&s, 2, &mo) || *s++ != '-' ||
	    sp_digits(&s, 2, &d))
		return -1;
	if (y < 1 || mo < 1 || mo > 12 || d < 1 ||
	    d > mdays[mo - 1] + (mo == 2 && sp_leap_year(y)))
		return -1;
	if (*s) {
		if (*s == 'T' || *s == 't')
			s++;
		else if (*s == ' ' || *s == '\t')
			while (*s == ' ' || *s == '\t')
				s++;
		else
			return -1;
		if (sp_digits(&s, 2, &h) || *s++ != ':' || sp_digits(&s, 2, &mi))
			return -1;
		if (*s == ':') {
			s++;
			if (sp_digits(&s, 2, &sec))
				return -1;
			if (*s == '.') {
				long long scale = 100000;
				int nd = 0;

				s++;
				while (*s >= '0' && *s <= '9') {
					if (nd < 6)
						us += (*s - '0') * scale, scale /= 10;
					else if (nd == 6 && *s >= '5')
						us++;	/* round half up at microseconds */
					nd++, s++;
				}
				if (!nd)
					return -1;
			}
		}
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == 'Z' || *s == 'z') {
			s++;
		} else if (*s == '+' || *s == '-') {
			sign = *s++ == '-' ? -1 : 1;
			if (sp_digits(&s, 2, &oh))
				return -1;
			if (*s == ':')
				s++;
			if (*s >= '0' && *s <= '9' && sp_digits(&s, 2, &om))
				return -1;
			if (oh > 23 || om > 59)
				return -1;
		}
		if (*s || h > 23 || mi > 59 || sec > 59)
			return -1;
	}
	t = sp_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400LL + h * 3600 + mi * 60 + sec;
	t -= (long long)sign * (oh * 3600 + om * 60);
	if (us >= 1000000)
		t++, us -= 1000000;
	day = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
	sp_civil_from_days(day, &yy, &mm, &dd);
	if (yy < 1 || yy > 9999)
		return -1;
	t -= day * 86400;
	frac[0] = '\0';
	if (us) {
		int k;
		snprintf(frac, sizeof frac, ".%06lld", us);
		for (k = 6; frac[k] == '0'; k--)
			frac[k] = '\0';
	}
	snprintf(out, SP_TSTAMP_LEN, "%04d-%02u-%02uT%02d:%02d:%02d%.7sZ", (int)(yy % 10000), mm % 13, dd % 32,
	    (int)(t / 3600), (int)(t / 60 % 60), (int)(t % 60), frac);
	return 0;
}

void
sp_tstamp_short(const char *norm, char out[SP_TSTAMP_LEN])
{
	if (strlen(norm) == 20 && !strcmp(norm + 10, "T00:00:00Z"))
		snprintf(out, SP_TSTAMP_LEN, "%.10s", norm);
	else
		snprintf(out, SP_TSTAMP_LEN, "%s", norm);
}

#define USECS_PER_DAY 86400000000LL
#define PG_EPOCH_DAYS 10957	/* 2000-01-01 in days since 1970-01-01 */

int
sp_ts_parse(const char *s, int64_t *out, const char **why)
{
	static const unsigned char mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int y, mo, d, h = 0, mi = 0, sec = 0, oh = 0, om = 0, sign = 0;
	int64_t frac = 0, us;
	const char *p = s;

	*why = "not an RFC 3339 date-time";
	if (!strcmp(s, "infinity") || !strcmp(s, "+infinity")) {
		*out = SP_TS_INFINITY;
		return 0;
	}
	if (!strcmp(s, "-infinity")) {
		*out = SP_TS_NINFINITY;
		return 0;
	}
	/* four-digit years as RFC 3339 has them; and, as sp_ts_format writes
	 * what PostgreSQL holds beyond them, up to six digits and a "-" for
	 * years before 1 AD (astronomical numbering: 0 is 1 BC) */
	int neg = *p == '-', nd = 0;
	if (neg)
		p++;
	while (p[nd] >= '0' && p[nd] <= '9')
		nd++;
	if (nd < 4 || nd > 6 || (nd > 4 && p[0] == '0') || sp_digits(&p, nd, &y) || *p++ != '-' ||
	    sp_digits(&p, 2, &mo) || *p++ != '-' || sp_digits(&p, 2, &d))
		return -1;
	if (neg)
		y = -y;
	/* PostgreSQL's range: 4714-11-24 BC (astronomical -4713) on */
	if ((!neg && y < 1) || y < -4713 || (y == -4713 && (mo < 11 || (mo == 11 && d < 24))) ||
	    y > 294276 || mo < 1 || mo > 12 || d < 1) {
		*why = "date out of range";
		return -1;
	}
	if (d > mdays[mo - 1] + (mo == 2 && sp_leap_year(y))) {
		*why = "no such day";
		return -1;
	}
	if (*p) {
		if (*p != 'T' && *p != 't' && *p != ' ')
			return -1;
		p++;
		if (sp_digits(&p, 2, &h) || *p++ != ':' || sp_digits(&p, 2, &mi) || *p++ != ':' ||
		    sp_digits(&p, 2, &sec))
			return -1;
		if (*p == '.') {
			int n = 0, round = 0;

			p++;
			if (*p < '0' || *p > '9')
				return -1;
			for (; *p >= '0' && *p <= '9'; p++, n++) {
				if (n < 6)
					frac = frac * 10 + (*p - '0');
				else if (n == 6)
					round = *p >= '5';
			}
			for (; n < 6; n++)
				frac *= 10;
			frac += round;
		}
		if (*p == 'Z' || *p == 'z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			sign = *p++ == '-' ? -1 : 1;
			if (sp_digits(&p, 2, &oh))
				return -1;
			if (*p == ':')
				p++;
			if (*p && sp_digits(&p, 2, &om))
				return -1;
		} else {
			*why = "date-time without a time zone ('Z' or an offset)";
			return -1;
		}
		if (*p)
			return -1;
		if (h > 23 || mi > 59 || sec > 60 || oh > 15 || om > 59) {
			*why = "time out of range";
			return -1;
		}
	}
	us = ((sp_days_from_civil(y, (unsigned)mo, (unsigned)d) - PG_EPOCH_DAYS) * 86400 +
	    h * 3600 + mi * 60 + sec - sign * (oh * 3600 + om * 60)) * 1000000LL + frac;
	*out = us;
	return 0;
}

void
sp_ts_format(int64_t us, char *out)
{
	int64_t days, rem, y;
	unsigned m, d;
	int n, k;

	if (us == SP_TS_INFINITY || us == SP_TS_NINFINITY) {
		strcpy(out, us == SP_TS_INFINITY ? "infinity" : "-infinity");
		return;
	}
	days = us / USECS_PER_DAY;
	rem = us % USECS_PER_DAY;
	if (rem < 0) {
		rem += USECS_PER_DAY;
		days--;
	}
	sp_civil_from_days(days + PG_EPOCH_DAYS, &y, &m, &d);
	n = sprintf(out, y <= 0 ? "-%04lld-%02u-%02uT%02d:%02d:%02d" : "%04lld-%02u-%02uT%02d:%02d:%02d",
	    (long long)(y <= 0 ? -y : y), m, d,
	    (int)(rem / 3600000000LL), (int)(rem / 60000000 % 60), (int)(rem / 1000000 % 60));
	if (rem % 1000000) {
		n += sprintf(out + n, ".%06d", (int)(rem % 1000000));
		for (k = n; out[k - 1] == '0'; k--)
			;
		n = k;
	}
	out[n++] = 'Z';
	out[n] = '\0';
}

void
sp_rfc3339(long long t, char *buf)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (!gmtime_r(&tt, &tm) || !strftime(buf, 21, "%Y-%m-%dT%H:%M:%SZ", &tm))
		strcpy(buf, "1970-01-01T00:00:00Z");
}

double
sp_monotonic(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
sp_deadline(struct timespec *ts, clockid_t clock, double secs)
{
	clock_gettime(clock, ts);
	ts->tv_sec += (time_t)secs;
	ts->tv_nsec += (long)((secs - (double)(time_t)secs) * 1e9);
	if (ts->tv_nsec >= 1000000000L)
		ts->tv_sec++, ts->tv_nsec -= 1000000000L;
}
