/* tables.h - the synchronised tables (sp(7) "RECORDS", row): their columns and
 * types, for validation, export and the DatabaseExport document. No libpq:
 * the schema SQL and sp_db_init are in pg/init.h. */
#ifndef SP_DB_TABLES_H
#define SP_DB_TABLES_H

#include <stddef.h>

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

#endif
