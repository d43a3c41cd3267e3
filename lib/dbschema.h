/* dbschema.h - the synchronised tables (SPEC section 3): the embedded
 * schema SQL, its description for validation and export, and sp_db_init. */
#ifndef SP_DBSCHEMA_H
#define SP_DBSCHEMA_H

#include <stddef.h>
#include <libpq-fe.h>

enum sp_dbtype {
	SP_DB_UUID,		/* uuid: "8-4-4-4-12" hex string */
	SP_DB_TEXT,		/* text: JSON string */
	SP_DB_BOOL,		/* boolean: true/false */
	SP_DB_JSONB,		/* jsonb: any JSON value (null is SQL NULL) */
	SP_DB_TEXTARR,		/* text[]: array of strings (or nulls) */
	SP_DB_TSTZ,		/* timestamptz: RFC 3339 string, UTC on output */
};

struct sp_dbcol {
	const char *name;
	enum sp_dbtype type;
	int notnull;		/* NOT NULL in the schema */
};

struct sp_dbtable {
	const char *name;	/* SQL table name */
	const char *doc;	/* key in the DatabaseExport document */
	const struct sp_dbcol *cols;	/* in table order; cols[0] is "id" */
	int ncols;
};

/* The tables in foreign-key order (parents first). */
extern const struct sp_dbtable sp_db_tables[];
extern const int sp_db_ntables;

/* The schema SQL (lib/schema.sql), NUL-terminated. */
extern const char sp_schema_sql[];

/* The table with this SQL name, or NULL. */
const struct sp_dbtable *sp_db_table(const char *name);

/* The table whose DatabaseExport key is key ("skills" is agent_skills), or NULL. */
const struct sp_dbtable *sp_db_doc_table(const char *key);

/* Index of table t in sp_db_tables. */
int sp_db_table_index(const struct sp_dbtable *t);

/* Index of column name in t, or -1. */
int sp_db_column(const struct sp_dbtable *t, const char *name);

/* The name of a column type as SQL spells it ("text[]"). */
const char *sp_db_type_name(enum sp_dbtype type);

/* Create (idempotently, in one transaction, serialised by an advisory
 * lock so that concurrent callers do not collide) schema `schema` (NULL:
 * public) and the tables in it. The connection must not be inside a
 * transaction. 0, or an exit status with a message (never dies). */
int sp_db_init(PGconn *c, const char *schema, char *err, size_t errlen);

#endif
