#!/usr/bin/env bats
# layers: lib/LAYERS holds (tests/layers over nm of the built objects),
# the check catches each kind of violation, and only the tools that talk
# to PostgreSQL link libpq.

load helper

objdir() {
	# bin/ -> build/obj, build/asan/bin -> build/asan/obj (Makefile OBJ)
	if [ "$SP_BIN" = "$REPO/bin" ]; then echo "$REPO/build/obj"; else echo "$(dirname "$SP_BIN")/obj"; fi
}

# fake OBJ: a copy of the real objects plus one planted object
plant() {
	local obj=$1 rel=$2 src=$3
	cp -r "$(objdir)" "$obj"
	mkdir -p "$obj/$(dirname "$rel")"
	printf '%s\n' "$src" >planted.c
	cc -c -o "$obj/$rel" planted.c
}

@test "layers: every object of the build keeps to lib/LAYERS" {
	run tests_layers "$(objdir)"
	assert_success
	assert_output --regexp '^layers: [0-9]+ objects hold'
}

tests_layers() { "$REPO/tests/layers" "$1" "$REPO/lib/LAYERS"; }

@test "layers: a call into a concern not listed fails naming object, symbol and concern" {
	plant obj lib/core/planted.o 'void sp_write_record(void *); void f(void) { sp_write_record(0); }'
	run tests_layers obj
	assert_failure
	assert_output --partial 'lib/core/planted.o calls sp_write_record (rec, lib/rec/ndjson.o): core may use nothing but core'
	plant obj2 lib/db/planted.o 'int sp_pg_exec(void); int f(void) { return sp_pg_exec(); }'
	run tests_layers obj2
	assert_failure
	assert_output --partial 'lib/db/planted.o calls sp_pg_exec (pg, lib/pg/pg.o): db may use core rec'
}

@test "layers: libpq outside lib/pg and cloud/ fails" {
	plant obj lib/db/planted.o 'int PQstatus(void *); int f(void) { return PQstatus(0); }'
	run tests_layers obj
	assert_failure
	assert_output --partial 'lib/db/planted.o calls PQstatus (libpq)'
}

@test "layers: server code that reaches sp_die, even through another object, fails" {
	plant obj cloud/planted.o 'void sp_die(int, const char *, ...); void f(void) { sp_die(70, "x"); }'
	run tests_layers obj
	assert_failure
	assert_output --partial 'cloud/planted.o calls sp_die, which dies, and the server links it'
	# through a lib object: the atomic writer dies
	plant obj2 cloud/planted.o 'void sp_atomic_abort(void *); void f(void) { sp_atomic_abort(0); }'
	run tests_layers obj2
	assert_failure
	assert_output --regexp 'lib/core/atomic.o calls sp_[a-z_]+, which dies, and the server links it \(via cloud/planted.o -> sp_atomic_abort\)'
}

@test "layers: libpq only in the tools that talk to PostgreSQL, libmicrohttpd only in sp-cloudd" {
	local t pq=() mhd=()
	for t in "$SP_BIN"/sp-*; do
		ldd "$t" | grep -q 'libpq\.so' && pq+=("$(basename "$t")")
		ldd "$t" | grep -q 'libmicrohttpd\.so' && mhd+=("$(basename "$t")")
	done
	[ "${pq[*]}" = "sp-cloudd sp-dbexport sp-dbimport" ]
	[ "${mhd[*]}" = "sp-cloudd" ]
}
