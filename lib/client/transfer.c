/* transfer.c - the payloads of sp-upload and sp-download: archives and
 * DatabaseExport documents. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client/transfer.h"
#include "core/err.h"
#include "core/fsutil.h"
#include "core/path.h"
#include "core/uuid.h"
#include "db/doc.h"
#include "db/tables.h"
#include "rec/ndjson.h"

/* The archive record on in: exactly one, with a path (into *path). */
static json_t *
archive_record(struct sp_reader *in, char **path)
{
	json_t *rec, *found = NULL;
	const char *why;

	while ((rec = sp_reader_next(in))) {
		if (strcmp(sp_record_type(rec), "archive")) {
			char type[64];

			/* freed before the exit, so no leak checker sees one */
			snprintf(type, sizeof type, "%s", sp_record_type(rec));
			json_decref(rec);
			json_decref(found);
			sp_reader_die(in, "expected an archive record, not \"%s\"", type);
		}
		if (found) {
			free(*path);
			json_decref(rec);
			json_decref(found);
			sp_reader_die(in, "more than one archive record");
		}
		if (!(*path = sp_record_path(rec, &why)))
			sp_reader_die(in, "%s", why);
		found = rec;
	}
	if (!found)
		sp_die(SP_EX_DATAERR, "%s: no archive record", in->name);
	return found;
}

json_t *
sp_upload_archive(const char *arg, struct sp_http_body *b, int *fd, char **name)
{
	json_t *rec = NULL, *size;
	struct sp_reader *in;
	struct stat st;
	char *path = NULL;
	int ch;

	*fd = -1;
	if (!arg || !strcmp(arg, "-")) {
		if ((ch = getc(stdin)) == EOF)
			sp_die(SP_EX_NOINPUT, "<stdin>: no archive and no archive record");
		ungetc(ch, stdin);
		if (ch == 0x1f) {	/* gzip's magic: the archive itself */
			sp_http_body_stream(b, stdin);
			*name = sp_strdup("<stdin>");
			return NULL;
		}
		in = sp_reader_fdopen(stdin, "<stdin>");
		rec = archive_record(in, &path);
		sp_reader_close(in);
		if (!strcmp(path, "-"))
			sp_die(SP_EX_DATAERR, "<stdin>: the archive record names stdout (\"-\"); pipe the archive itself");
		arg = path;
	}
	if ((*fd = open(arg, O_RDONLY | O_CLOEXEC)) < 0 || fstat(*fd, &st) != 0)
		sp_die_errno(sp_ex_for_errno(errno), "%s", arg);
	if (!S_ISREG(st.st_mode))
		sp_die(SP_EX_NOINPUT, "%s: not a regular file", arg);
	size = json_object_get(rec, "size");
	if (json_is_integer(size) && json_integer_value(size) != st.st_size)
		sp_die(SP_EX_DATAERR, "%s: size differs from its archive record (changed since sp-pack?)", arg);
	sp_http_body_fd(b, *fd, st.st_size);
	*name = path ? path : sp_strdup(arg);
	return rec;
}

static int
to_fd(void *arg, const char *buf, size_t n)
{
	return sp_write_all(*(int *)arg, buf, n);
}

/* The row of rec to send and whether it is a deletion: 1 (send), 0 (not
 * sent: unchanged, or removed without del; *skipped counts the latter),
 * or dies 65 naming the record's line. */
static int
doc_item(struct sp_reader *in, json_t *rec, int del, json_t **row, int *isdel, long long *skipped)
{
	const char *type = sp_record_type(rec), *status;

	*row = rec;
	*isdel = 0;
	if (!strcmp(type, "row"))
		return 1;
	if (strcmp(type, "diff"))
		sp_reader_die(in, "expected a row or diff record, not \"%s\"", type);
	status = json_string_value(json_object_get(rec, "status"));
	*row = json_object_get(rec, "record");
	if (!status || !json_is_object(*row))
		sp_reader_die(in, "a diff record needs a \"status\" and a \"record\" object");
	if (!strcmp(status, "unchanged"))
		return 0;
	if (!strcmp(status, "removed")) {
		if (!del) {
			++*skipped;
			return 0;
		}
		*isdel = 1;
		return 1;
	}
	if (strcmp(status, "added") && strcmp(status, "modified"))
		sp_reader_die(in, "diff record with unknown status \"%.40s\"", status);
	return 1;
}

long long
sp_upload_document(struct sp_reader *in, int fd, int del, long long *deletes, long long *skipped)
{
	struct sp_docw *w = sp_docw_new(to_fd, &fd);
	FILE *spool[16] = {0};	/* the ids to delete, one file per table */
	long long rows = 0;
	char err[1024];
	json_t *rec, *row;
	int code, isdel;

	*deletes = *skipped = 0;
	if (!w)
		sp_die(SP_EX_SOFTWARE, "out of memory");
	while ((rec = sp_reader_next(in))) {
		if (!doc_item(in, rec, del, &row, &isdel, skipped)) {
			json_decref(rec);
			continue;
		}
		if (isdel) {
			/* deletions go after the rows, table by table: spooled,
			 * as sp-diff's order interleaves them with the rows */
			const char *table = json_string_value(json_object_get(row, "table"));
			const char *id = json_string_value(json_object_get(json_object_get(row, "data"), "id"));
			const struct sp_dbtable *t = table ? sp_db_table(table) : NULL;
			int i;

			if (!t && table)
				t = sp_db_doc_table(table);
			if (!t || !id || !*id || strchr(id, '\n'))
				sp_reader_die(in, "a removed row needs a known \"table\" and a \"data\".\"id\" string");
			i = sp_db_table_index(t);
			if (!spool[i] && !(spool[i] = tmpfile()))
				sp_die_errno(SP_EX_IOERR, "spool");
			if (fprintf(spool[i], "%s\n", id) < 0)
				sp_die_errno(SP_EX_IOERR, "spool");
			++*deletes;
			json_decref(rec);
			continue;
		}
		code = sp_docw_row(w, row, err, sizeof err);
		json_decref(rec);
		if (code == SP_EX_DATAERR)
			sp_reader_die(in, "%s", err);
		if (code)
			sp_die(code, "%s", err);
		rows++;
	}
	for (int i = 0; i < sp_db_ntables; i++) {
		char *line = NULL;
		size_t cap = 0;
		ssize_t n;

		if (!spool[i])
			continue;
		if (fflush(spool[i]) != 0 || fseek(spool[i], 0, SEEK_SET) != 0)
			sp_die_errno(SP_EX_IOERR, "spool");
		while ((n = getline(&line, &cap, spool[i])) > 0) {
			line[n - 1] = '\0';
			if ((code = sp_docw_delete(w, sp_db_tables[i].name, line, err, sizeof err)))
				sp_die(code, "%s", err);
		}
		if (ferror(spool[i]))
			sp_die_errno(SP_EX_IOERR, "spool");
		free(line);
		fclose(spool[i]);
	}
	if ((code = sp_docw_finish(w, NULL, err, sizeof err)))
		sp_die(code, "%s", err);
	sp_docw_free(w);
	return rows;
}

int
sp_transfer_rows(int fd, int (*keep)(json_t *rec), char *err, size_t errlen)
{
	static char buf[1 << 16];
	int out = sp_http_spool(), code;
	struct sp_docr *rd;
	FILE *doc, *rows;
	json_t *rec;
	ssize_t n;

	if (lseek(fd, 0, SEEK_SET) != 0 || !(doc = fdopen(dup(fd), "r")) || !(rows = fdopen(dup(out), "w")))
		sp_die_errno(SP_EX_IOERR, "spool");
	if (!(rd = sp_docr_new(sp_docr_read_file, doc)))
		sp_die(SP_EX_SOFTWARE, "out of memory");
	/* a row becomes one record line: no larger than a reader takes */
	sp_docr_max_row(rd, (size_t)SP_RECORD_MAX);
	setvbuf(rows, NULL, _IOFBF, 1 << 16);
	while ((code = sp_docr_next(rd, &rec, err, errlen)) == 1) {
		if (!keep || keep(rec))
			sp_write_record(rows, rec);
		json_decref(rec);
	}
	if (code) {
		size_t l = strlen(err);
		snprintf(err + l, errlen - l, " (%s)", sp_docr_where(rd));
	}
	sp_docr_free(rd);
	fclose(doc);
	if (fclose(rows) != 0)
		sp_die_errno(SP_EX_IOERR, "spool");
	if (!code && lseek(out, 0, SEEK_SET) != 0)
		sp_die_errno(SP_EX_IOERR, "spool");
	while (!code && (n = read(out, buf, sizeof buf)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			sp_die_errno(SP_EX_IOERR, "spool");
		if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
			break;	/* sp_finish_stdout reports it */
	}
	close(out);
	return code;
}
