/* probe.h - the database probe of sp-cloudd: a thread with a connection of
 * its own asks the database "SELECT 1" every second, each answer awaited
 * for at most two seconds, so that /healthz tells whether the database
 * answers without ever waiting on it. */
#ifndef SP_CLOUD_PROBE_H
#define SP_CLOUD_PROBE_H

struct cloud_probe;

/* Start probing conninfo (the first probe runs before this returns); NULL
 * when the thread cannot start. */
struct cloud_probe *cloud_probe_start(const char *conninfo);

/* Stop the thread, close its connection, free p. */
void cloud_probe_stop(struct cloud_probe *p);

/* True when the last probe was answered; *secs: since when it is so. */
int cloud_probe_ok(struct cloud_probe *p, double *secs);

#endif
