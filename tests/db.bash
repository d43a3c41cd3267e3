# db.bash - shared by the database tests (load helper first, then db).

# psqlq ARGS...: psql on $DATABASE_URL, quiet, unaligned, stop on error.
psqlq() {
	psql -X -q -At -v ON_ERROR_STOP=1 -d "$DATABASE_URL" "$@"
}

# db_reset [SCHEMA]: empty every synchronised table.
db_reset() {
	local s=${1:-public}
	psqlq -c "truncate $s.agents, $s.users, $s.agent_skills, $s.contexts, $s.content cascade"
}

# db_dump [SCHEMA]: every row of every table as psql's row_to_json, one per
# line, "table<TAB>json", sorted: the independent view of the data.
db_dump() {
	local s=${1:-public} t
	for t in agents users agent_skills contexts content; do
		psqlq -c "select '$t' || chr(9) || row_to_json(t)::text from $s.$t t" || return 1
	done | LC_ALL=C sort
}

# uuid N: a UUID made from the number N.
uuid() {
	printf '00000000-0000-4000-8000-%012x' "$1"
}

# pg_wait_for SQL: poll until the query prints "t" (at most ~20 s).
pg_wait_for() {
	local i
	for i in $(seq 1 400); do
		[ "$(psqlq -c "$1")" = t ] && return 0
		sleep 0.05
	done
	echo "timed out waiting for: $1" >&3
	return 1
}

# lock_open MODE TABLE: hold a table lock in a background psql session until
# lock_close; fd 5 feeds it.
lock_open() {
	rm -f "$BATS_TEST_TMPDIR/lockctl"
	mkfifo "$BATS_TEST_TMPDIR/lockctl"
	PGAPPNAME=sp-test-locker psql -X -q -d "$DATABASE_URL" <"$BATS_TEST_TMPDIR/lockctl" >/dev/null 2>&1 3>&- &
	LOCKER=$!
	exec 5>"$BATS_TEST_TMPDIR/lockctl"
	echo "BEGIN; LOCK TABLE $2 IN $1 MODE;" >&5
	pg_wait_for "select count(*) > 0 from pg_locks l join pg_class c on c.oid = l.relation
		where l.database = (select oid from pg_database where datname = current_database())
		and c.relname = '$2' and l.mode = '$(echo "$1" | sed -E 's/(^| )([a-z])/\U\2/g; s/ //g')Lock' and l.granted"
}

lock_close() {
	echo "COMMIT;" >&5
	exec 5>&-
	wait "$LOCKER" || true
}

# skills_ndjson N [PREFIX]: N agent_skills row records.
skills_ndjson() {
	local n=$1 p=${2:-s}
	seq 1 "$n" | awk -v p="$p" '{ printf "{\"type\":\"row\",\"table\":\"agent_skills\",\"data\":{\"id\":\"00000000-0000-4000-8000-%012x\",\"skill_id\":\"%s%d\",\"name\":\"skill %d\",\"tags\":[\"t%d\"],\"metadata\":{\"n\":%d}}}\n", 4096 + $1, p, $1, $1, $1 % 7, $1 }'
}

# Edge cases written by psql, an independent peer: unicode, quotes and
# control characters, empty and NULL arrays, nested jsonb, a 1 MiB text,
# timestamps given with time zones and fractions.
edge_rows() {
	psqlq <<'EOF2'
insert into agents (id, name, description, system_prompt, metadata, created_at, updated_at) values
 ('00000000-0000-4000-8000-000000000001', 'ünïcödé 日本語 🎉', e'tab\there\nnewline "quotes" \\ back\u0001ctl', repeat('x€', 524288),
  '{"a": {"b": [1, 2.5, -3e-05, true, null, {"c": "ü\"\\"}]}, "empty": {}, "list": [], "n": 12345678901}',
  '2026-11-23 19:22:00.123456+01', '2026-11-23T18:22:00Z'),
 ('00000000-0000-4000-8000-000000000002', 'plain', null, null, null, '1999-12-31 23:59:59.5-08:30', '2000-01-01 00:00:00+00');
insert into users (id, name, email, roles, status, email_verified) values
 ('00000000-0000-4000-8000-0000000000a1', 'empty roles', 'e@x', '{}', 'active', true),
 ('00000000-0000-4000-8000-0000000000a2', 'null roles', null, null, 'gone', false),
 ('00000000-0000-4000-8000-0000000000a3', 'odd roles', 'o@x', array['a b', '"q"', e'back\\slash', null, 'ü', ''], 'x', false);
insert into agent_skills (id, skill_id, agent_id, name, enabled, tags, metadata, created_at) values
 ('00000000-0000-4000-8000-0000000000b1', 'sk/1', '00000000-0000-4000-8000-000000000001', 'S', false, '{}', '"just a string"', '0001-01-01 00:00:00+00'),
 ('00000000-0000-4000-8000-0000000000b2', 'sk/2', null, 'T', true, null, '[1, [2, [3, {"d": []}]]]', '9999-12-31 23:59:59.999999+00');
insert into contexts (id, user_id, name) values
 ('00000000-0000-4000-8000-0000000000c1', '00000000-0000-4000-8000-0000000000a1', 'ctx');
insert into content (id, source_id, slug, title, public, tags, published_at, body, metadata) values
 ('00000000-0000-4000-8000-0000000000d1', 'blog', 'hello', 'Hello', false, array['x'], '2026-03-01 12:00:00-05', e'# body\r\nline', '{"related_docs": ["a", "b"], "after_reading_this": {"k": 1}}');
EOF2
}
