-- schema.sql - the tables sp synchronises (sp(7) "RECORDS", row), owned by the
-- project. Embedded into the binaries (lib/dbschema.c) and applied by
-- sp_db_init() inside one transaction with search_path set to the target
-- schema, so every statement here must be idempotent and unqualified.
-- Column order is the order in lib/dbschema.c and in exported rows.

CREATE TABLE IF NOT EXISTS agents (
	id uuid PRIMARY KEY,
	name text NOT NULL UNIQUE,
	description text,
	system_prompt text,
	metadata jsonb DEFAULT '{}'::jsonb,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS users (
	id uuid PRIMARY KEY,
	name text NOT NULL UNIQUE,
	email text UNIQUE,
	full_name text,
	display_name text,
	status text NOT NULL DEFAULT 'active',
	email_verified boolean NOT NULL DEFAULT false,
	roles text[] DEFAULT '{}'::text[],
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS agent_skills (
	id uuid PRIMARY KEY,
	skill_id text NOT NULL UNIQUE,
	agent_id uuid REFERENCES agents (id),
	name text NOT NULL,
	description text,
	instructions text,
	enabled boolean NOT NULL DEFAULT true,
	tags text[] DEFAULT '{}'::text[],
	category_id text,
	source_id text,
	file_path text,
	metadata jsonb DEFAULT '{}'::jsonb,
	content_hash text,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS agent_skills_agent_id_idx ON agent_skills (agent_id);

CREATE TABLE IF NOT EXISTS contexts (
	id uuid PRIMARY KEY,
	user_id uuid REFERENCES users (id),
	name text NOT NULL,
	description text,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS contexts_user_id_idx ON contexts (user_id);

CREATE TABLE IF NOT EXISTS content (
	id uuid PRIMARY KEY,
	source_id text NOT NULL,
	slug text NOT NULL,
	title text,
	description text,
	author text,
	kind text,
	public boolean NOT NULL DEFAULT true,
	tags text[] DEFAULT '{}'::text[],
	keywords text,
	image text,
	category_id text,
	published_at timestamptz,
	body text,
	metadata jsonb DEFAULT '{}'::jsonb,
	file_path text,
	content_hash text,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	UNIQUE (source_id, slug)
);
-- the page's path below the content directory (nested directories survive
-- disk -> database -> disk); added after the first release
ALTER TABLE content ADD COLUMN IF NOT EXISTS file_path text;
