/* transfer.h - the payloads of sp-upload and sp-download: the archive to
 * send (a path, the archive record of sp-pack, or the archive itself piped
 * in), the DatabaseExport document built from row records and split back
 * into them. Client code: the upload side dies on bad input. */
#ifndef SP_TRANSFER_H
#define SP_TRANSFER_H

#include <jansson.h>

#include "client/http.h"
#include "rec/ndjson.h"

/* Make b the archive to send: the file arg, or when arg is NULL or "-"
 * what stdin holds, either an archive record (exactly one) naming the file
 * or the gzip stream itself (sent as it arrives and spooled). A file is
 * opened into *fd (else -1) and its size checked against the record. Sets
 * *name (malloc'd) to what messages call the archive and returns the
 * record (caller decrefs) or NULL. Dies 65 on a bad record or a size that
 * differs from it, 66 when there is no archive. */
json_t *sp_upload_archive(const char *arg, struct sp_http_body *b, int *fd, char **name);

/* Write the DatabaseExport document made of the records read from in into
 * the file fd, streaming (no row is kept; the ids to delete are spooled):
 * row records, and diff records (sp-diff's) whose added or modified record
 * is sent and whose removed one becomes a deletion with del ("delete:T"
 * members; without del it is counted in *skipped), unchanged ones not
 * sent. Returns the number of rows, *deletes the deletions. Dies 65
 * naming the line of a bad record (another type, an unknown table, a
 * table whose rows do not come together), 74 on a write error. */
long long sp_upload_document(struct sp_reader *in, int fd, int del, long long *deletes,
    long long *skipped);

/* Write the rows of the DatabaseExport document in the file fd to stdout
 * as row records, all or nothing: they go to a spool first, and only a
 * complete, well-formed document is copied out. 0, or an exit status (65
 * malformed, 74) with a message naming where. */
int sp_transfer_rows(int fd, int (*keep)(json_t *rec), char *err, size_t errlen);

#endif
