/* scan.h - what sp_skills_scan and sp_content_scan report to their caller. */
#ifndef SP_SCAN_H
#define SP_SCAN_H

#include <jansson.h>

struct sp_scan_cb {
	/* A row record built from disk; the callee owns it. */
	void (*row)(json_t *rec, void *arg);
	/* A skill or page that cannot be read: code (SP_EX_*) and
	 * "PATH:LINE:COLUMN: reason". Return 0 to skip it and go on,
	 * anything else to stop the scan. */
	int (*bad)(int code, const char *msg, void *arg);
	void *arg;
	/* Something read but odd, or left out on purpose: "PATH: what"
	 * (may be NULL: not told). */
	void (*warn)(const char *msg, void *arg);
};

#endif
