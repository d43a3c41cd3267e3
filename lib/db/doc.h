/* doc.h - row records <-> the cloud's DatabaseExport document (sp-cloudd(8))
 * {"agents":[…],"users":[…],"skills":[…],"contexts":[…],
 * "content":[…],"timestamp":"RFC 3339"}, whose elements are the rows' data
 * objects ("skills" holds table agent_skills); sp's pushes may add
 * "delete:TABLE":[{"id":…},…] members, the rows to delete (sp-cloudd(8)
 * "Deletions"). Both directions stream:
 * the writer holds no rows, the reader holds one row at a time. Never
 * calls sp_die. */
#ifndef SP_DBDOC_H
#define SP_DBDOC_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>
#include <jansson.h>

/* ---- writer ---- */

/* Receives the document's bytes; returns 0, or -1 (errno set) to fail. */
typedef int (*sp_docw_write_fn)(void *arg, const char *buf, size_t n);

struct sp_docw;

/* A writer sending its output to write(arg, …) in chunks of about 64 KiB.
 * NULL when out of memory. */
struct sp_docw *sp_docw_new(sp_docw_write_fn write, void *arg);

/* Add one row of table (SQL name, or document key) whose data is the
 * compact JSON object text json[0..n) (as sp_db_export hands it out).
 * Rows of one table must come together (sp-dbexport's order is fine):
 * a table that comes back after another one started is an error (65).
 * 0, or an exit status (65, 74 write failed, 70) with a message. */
int sp_docw_row_json(struct sp_docw *w, const char *table, const char *json, size_t n,
    char *err, size_t errlen);

/* Add the deletion of table's row id (member "delete:DOC"); the
 * deletions of one table must come together, as rows. As
 * sp_docw_row_json. */
int sp_docw_delete(struct sp_docw *w, const char *table, const char *id, char *err, size_t errlen);

/* Add one row record {"type":"row","table":T,"data":{…}} (T known, data
 * an object); fields other than table and data are dropped. As
 * sp_docw_row_json. */
int sp_docw_row(struct sp_docw *w, json_t *rec, char *err, size_t errlen);

/* Close the document: every table not seen gets [], then "timestamp"
 * (timestamp, or now when NULL) and a newline. 0 or an exit status. */
int sp_docw_finish(struct sp_docw *w, const char *timestamp, char *err, size_t errlen);

/* Free the writer (whether finished or not). */
void sp_docw_free(struct sp_docw *w);

/* A write function for a FILE * argument. */
int sp_docw_write_file(void *fp, const char *buf, size_t n);

/* ---- reader ---- */

/* Fills buf with up to n bytes; returns the count, 0 at the end, -1 on
 * error (errno set). */
typedef ssize_t (*sp_docr_read_fn)(void *arg, void *buf, size_t n);

struct sp_docr;

/* A reader pulling bytes from read(arg, …); read may be NULL when only
 * sp_docr_feed is used. NULL when out of memory. */
struct sp_docr *sp_docr_new(sp_docr_read_fn read, void *arg);

/* Refuse (65) a row of more than max bytes of JSON text, found while it
 * streams in, before it is parsed (default, and 0: 1 GiB). */
void sp_docr_max_row(struct sp_docr *r, size_t max);

/* Push interface: consume bytes of the document from buf[0..n) up to the
 * end of the next complete row. Returns the number of bytes consumed (call
 * again with the rest) and sets *rec to a new row record
 * {"type":"row","table":T,"data":{…}} when one was completed (caller owns
 * it), else NULL; or -1 with a message in err (always exit status 65:
 * malformed document, an element that is not an object, unknown JSON). */
ssize_t sp_docr_feed(struct sp_docr *r, const char *buf, size_t n, json_t **rec,
    char *err, size_t errlen);

/* At the end of the input: 0 when the document was complete, else 65 and
 * a message. */
int sp_docr_end(struct sp_docr *r, char *err, size_t errlen);

/* Pull interface (needs read): 1 and *rec (a new row record), 0 at the end
 * of a complete document, or an exit status (65 malformed, 74 read error)
 * with a message. */
int sp_docr_next(struct sp_docr *r, json_t **rec, char *err, size_t errlen);

/* sp_docr_next in the shape of sp_db_next_fn (dbimport.h): arg is the
 * reader; *del is 1 for a deletion (a row record whose data is {"id"}). */
int sp_docr_next_item(void *r, json_t **rec, int *del, char *err, size_t errlen);

/* Take "delete:TABLE" members (on), or refuse them with 65 (the default:
 * a reader whose caller cannot apply deletions never drops them
 * silently). Each element must be {"id": STRING}. */
void sp_docr_allow_delete(struct sp_docr *r, int on);

/* True when the row last returned is a deletion. */
int sp_docr_deletion(struct sp_docr *r);

/* Where the reader is, for messages: "skills[3]" (the row last returned)
 * or "document byte N". Points into the reader; valid until the next call. */
const char *sp_docr_where(void *r);

/* The document's "timestamp" once read, or NULL. */
const char *sp_docr_timestamp(struct sp_docr *r);

/* A read function for a FILE * argument. */
ssize_t sp_docr_read_file(void *fp, void *buf, size_t n);

/* Free the reader. */
void sp_docr_free(struct sp_docr *r);

#endif
