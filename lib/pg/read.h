/* read.h - feed an import from NDJSON in parallel threads: the JSON
 * parsing and validation of row records is most of an import's client
 * time. For tools only (it may die when threads cannot start). */
#ifndef SP_DBREAD_H
#define SP_DBREAD_H

#include <stdio.h>
#include <jansson.h>

#include "pg/import.h"

/* Decide what an input record is, in a worker thread (so: no shared
 * state): 1 to import *row (a row record, borrowed from rec) with *del
 * set for a delete; 0 to skip it (counted in *skipped); 2 to ignore it;
 * -1 with a reason in why. */
typedef int (*sp_dbread_map_fn)(void *arg, json_t *rec, json_t **row, int *del, char *why, size_t whylen);

/* Read every record of fp (named name in messages) with the rules of
 * sp_reader_next (blank lines skipped, a NUL, bad UTF-8 or a missing
 * "type" refused), map and validate them in threads, and queue them into
 * im in input order. 0 and *skipped, or an exit status (65 with
 * "name:line: reason" for the first bad record, 74 read error, 70) and a
 * message. */
int sp_dbread_ndjson(struct sp_dbimport *im, FILE *fp, const char *name, int threads,
    sp_dbread_map_fn map, void *arg, long long *skipped, char *err, size_t errlen);

#endif
