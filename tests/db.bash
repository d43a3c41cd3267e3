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
		where c.relname = '$2' and l.mode = '$(echo "$1" | sed -E 's/(^| )([a-z])/\U\2/g; s/ //g')Lock' and l.granted"
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
