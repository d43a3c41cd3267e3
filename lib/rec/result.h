/* result.h - "result" and "error" records (sp(7) "RECORDS"). */
#ifndef SP_RESULT_H
#define SP_RESULT_H

#include <jansson.h>

/* A new result record for operation: success true, the three counts 0,
 * errors [] and details {}. */
json_t *sp_result_new(const char *operation);

/* Add n to one of the counts: "items_synced", "items_skipped" or
 * "items_deleted". */
void sp_result_add(json_t *r, const char *count, long long n);

/* Append a message to errors[] and set success to false. */
void sp_result_error(json_t *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The details object of r (borrowed), for the tool's own fields. */
json_t *sp_result_details(json_t *r);

/* An error record: operation, code (the exit status) and message. */
json_t *sp_error_record(const char *operation, int code, const char *message);

#endif
