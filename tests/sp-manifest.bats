#!/usr/bin/env bats
# sp-manifest: hashing, cross-checked against sha256sum(1).

load helper

# expected TREE: "sha256 path\0" for every record, computed by sha256sum.
expected() {
	local p
	while IFS= read -r -d '' p; do
		if [ -L "$1/$p" ]; then
			printf '%s %s\0' "$(printf '%s' "$(readlink "$1/$p")" | sha256sum | cut -c1-64)" "$p"
		else
			printf '%s %s\0' "$(sha256sum <"$1/$p" | cut -c1-64)" "$p"
		fi
	done
}

@test "sp-manifest: every sha256 agrees with sha256sum, symlinks hash their target" {
	weird_tree t
	sp-collect t | sp-manifest -C t >recs
	recpaths -s <recs >ours
	recpaths <recs | expected t >theirs
	cmp ours theirs
	[ "$(wc -l <recs)" -eq "$(sp-collect t | wc -l)" ]
}

@test "sp-manifest: order and unknown fields are kept, other records pass through" {
	mkfile t/b 2
	mkfile t/a 1
	printf '%s\n' '{"type":"file","path":"b","note":{"x":[1,2]},"size":1}' \
		'{"type":"comment","text":"hi"}' '{"type":"file","path":"a","z":true}' |
		sp-manifest -C t >out
	run jq -c . out
	assert_line --index 0 "{\"type\":\"file\",\"path\":\"b\",\"note\":{\"x\":[1,2]},\"size\":1,\"sha256\":\"$(sha256sum <t/b | cut -c1-64)\"}"
	assert_line --index 1 '{"type":"comment","text":"hi"}'
	assert_line --index 2 "{\"type\":\"file\",\"path\":\"a\",\"z\":true,\"sha256\":\"$(sha256sum <t/a | cut -c1-64)\",\"size\":1}"
}

@test "sp-manifest: numbers in passed-through records keep their value, written shortest" {
	in='{"type":"comment","a":0.1,"b":0.7,"c":1500.0,"d":1e300,"e":-2.5e-7,"f":100,"g":9007199254740993,"h":19.90}'
	run sp-manifest <<<"$in"
	assert_success
	assert_output '{"type":"comment","a":0.1,"b":0.7,"c":1500.0,"d":1e+300,"e":-2.5e-07,"f":100,"g":9007199254740993,"h":19.9}'
	# the same values as python reads them
	python3 -c 'import json,sys; a=json.loads(sys.argv[1]); b=json.loads(sys.argv[2]); assert a == b, (a, b)' "$in" "$output"
	# an integer beyond 64 bits is refused, naming the line (README, Known limits)
	run --separate-stderr sp-manifest <<<$'{"type":"x"}\n{"type":"x","n":9223372036854775808}'
	[ "$status" -eq 65 ]
	[[ "$stderr" == *"<stdin>:2:"* ]] || fail "$stderr"
}

@test "sp-manifest: -j 1 and -j 8 give identical output" {
	weird_tree t
	for i in $(seq 1 300); do head -c $((i * 37)) /dev/urandom >"t/f$i"; done
	sp-collect t >recs
	sp-manifest -j 1 -C t recs >one
	sp-manifest -j 8 -C t <recs >eight
	cmp one eight
}

@test "sp-manifest: a large file hashes like sha256sum" {
	mkdir t
	head -c 70000000 /dev/urandom >t/big
	run bash -c 'sp-collect t | sp-manifest -C t | jq -r .sha256'
	assert_output "$(sha256sum <t/big | cut -c1-64)"
}

@test "sp-manifest: malformed JSON exits 65 naming file and line" {
	mkfile t/a 1
	printf '%s\n' '{"type":"file","path":"a"}' '' '{"type":"file","path":' >recs
	run sp-manifest -C t recs
	assert_failure 65
	assert_output --partial "sp-manifest: recs:3: malformed JSON"
	run sp-manifest -C t <recs
	assert_failure 65
	assert_output --partial "sp-manifest: <stdin>:3: malformed JSON"
}

@test "sp-manifest: embedded NUL, invalid UTF-8, non-objects and missing type are refused" {
	mkfile t/a 1
	printf '{"type":"file","path":"a\0"}\n' >nul
	run sp-manifest -C t nul
	assert_failure 65
	assert_output "sp-manifest: nul:1: embedded NUL byte"
	printf '{"type":"file","path":"\xff"}\n' >bad
	run sp-manifest -C t bad
	assert_failure 65
	assert_output --partial "bad:1: malformed JSON: unable to decode byte 0xff"
	echo '[1,2]' >arr
	run sp-manifest -C t arr
	assert_failure 65
	assert_output "sp-manifest: arr:1: record is not a JSON object"
	echo '{"path":"a"}' >notype
	run sp-manifest -C t notype
	assert_failure 65
	assert_output 'sp-manifest: notype:1: record has no "type" string'
	echo '{"type":"file","path":"a","path":"b"}' >dup
	run sp-manifest -C t dup
	assert_failure 65
	assert_output --partial "duplicate object key"
}

@test "sp-manifest: unsafe paths and paths through symlinks are refused" {
	mkfile t/a 1
	mkdir -p outside && echo secret >outside/s
	ln -s ../outside t/via
	for p in ../outside/s /etc/passwd a/../a ./a 'a//b' ''; do
		run sp-manifest -C t <<<"{\"type\":\"file\",\"path\":\"$p\"}"
		assert_failure 65
		assert_output --partial "<stdin>:1: unsafe path"
	done
	run sp-manifest -C t <<<'{"type":"file","path":"via/s"}'
	assert_failure 65
	assert_output "sp-manifest: t/via/s: path goes through a symlink"
}

@test "sp-manifest: a missing file exits 66 naming it" {
	mkdir t
	run sp-manifest -C t <<<'{"type":"file","path":"gone.txt"}'
	assert_failure 66
	assert_output "sp-manifest: t/gone.txt: No such file or directory"
}

@test "sp-manifest: an unreadable file is named" {
	d=$(public_tmp)
	mkdir "$d/t"
	echo x >"$d/t/secret"
	chmod 000 "$d/t/secret"
	run as_nobody sp-manifest -C "$d/t" <<<'{"type":"file","path":"secret"}'
	rm -rf "$d"
	assert_failure 66
	assert_output --partial "t/secret: Permission denied"
}

@test "sp-manifest: a file that became a directory is refused" {
	mkdir -p t/d
	run sp-manifest -C t <<<'{"type":"file","path":"d"}'
	assert_failure 65
	assert_output "sp-manifest: t/d: not a regular file or symlink"
}

@test "sp-manifest --check: clean tree passes, every mismatch is named" {
	weird_tree t
	sp-collect t | sp-manifest -C t >recs
	run sp-manifest --check t recs
	assert_success
	assert_output ""
	echo changed >>t/plain.txt
	printf 'X' | dd of=t/random.bin bs=1 seek=1000 conv=notrunc 2>/dev/null
	rm t/empty
	run sp-manifest --check t recs
	assert_failure 65
	assert_line "sp-manifest: t/plain.txt: checksum mismatch"
	assert_line "sp-manifest: t/random.bin: checksum mismatch"
	assert_line "sp-manifest: t/empty: No such file or directory"
	assert_line --partial "3 of $(wc -l <recs) files failed verification"
}

@test "sp-manifest --check: a record without sha256 is bad input" {
	mkfile t/a 1
	run sp-manifest --check t <<<'{"type":"file","path":"a"}'
	assert_failure 65
	assert_output --partial '<stdin>:1: a: record has no valid "sha256"'
}

# later CMD...: CMD with its clock 2 s ahead (libfaketime; file times as
# they are), for the stat cache's "changed within the last second" rule.
# ASan wants its runtime first; libfaketime preloads before it.
later() {
	NO_FAKE_STAT=1 ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
		faketime -f +2s "$@"
}

@test "sp-manifest --cache: unchanged files come from the cache, changed ones are re-hashed" {
	mkfile t/a aaaa
	mkfile t/b bbbb
	mkfile t/c cccc
	# the cache trusts only files whose mtime and ctime are over a second
	# old; touch -d cannot move ctime, so sp-manifest runs 2 s ahead
	sp-collect t | later sp-manifest -C t --cache cache >first
	[ "$(head -1 cache)" = "sp-statcache 1" ]
	[ "$(wc -l <cache)" -eq 4 ]
	# an unchanged tree leaves the cache file alone (no rewrite, no fsync)
	ino=$(stat -c %i cache)
	sp-collect t | later sp-manifest -C t --cache cache | cmp - first
	[ "$(stat -c %i cache)" = "$ino" ]
	# poison the cached hash of a and b: if it is used, it was not re-read
	fake=$(printf '%064d' 0)
	sed -i "s/$(sha256sum <t/a | cut -c1-64)/$fake/; s/$(sha256sum <t/b | cut -c1-64)/$fake/" cache
	echo BBBB >t/b.new && mv t/b.new t/b	# same size, new content, new inode
	printf 'CCCC' >t/c	# same size, same inode, new content
	sp-collect t | later sp-manifest -C t --cache cache >second
	run jq -r '"\(.path) \(.sha256)"' second
	assert_line "a $fake"
	assert_line "b $(sha256sum <t/b | cut -c1-64)"
	assert_line "c $(sha256sum <t/c | cut -c1-64)"
	# no temporary files are left beside the cache
	run ls -A
	refute_output --partial sp-tmp
}

@test "sp-manifest --cache: a file changed within the last second is not trusted" {
	mkfile t/a aaaa
	# a timestamp that is not yet a second old, however slow this machine is
	touch -d "@$(($(date +%s) + 30))" t/a
	sp-collect t | sp-manifest -C t --cache cache >/dev/null
	[ "$(cat cache)" = "sp-statcache 1" ]
	printf 'AAAA' >t/a
	run bash -c 'sp-collect t | sp-manifest -C t --cache cache | jq -r .sha256'
	assert_output "$(sha256sum <t/a | cut -c1-64)"
}

@test "sp-manifest --cache: a corrupt cache is ignored with a warning" {
	mkfile t/a aaaa
	echo 'not json' >cache
	run bash -c 'sp-collect t | sp-manifest -C t --cache cache 2>err | jq -r .sha256; cat err'
	assert_line "$(sha256sum <t/a | cut -c1-64)"
	assert_line --partial "cache:1: ignoring the stat cache: not an sp stat cache"
}

@test "sp-manifest --cache: names with newlines and backslashes survive the cache" {
	mkfile t/$'new\nline' one
	mkfile t/'back\\slash' two
	# mtime and ctime over a second old to sp-manifest (see above)
	sp-collect t | later sp-manifest -C t --cache cache >first
	[ "$(wc -l <cache)" -eq 3 ]
	ino=$(stat -c %i cache)
	sp-collect t | later sp-manifest -C t --cache cache | cmp - first
	[ "$(stat -c %i cache)" = "$ino" ]
}

@test "sp-manifest: a write error on stdout exits 74" {
	weird_tree t
	sp-collect t >recs
	run bash -c "sp-manifest -C t recs >/dev/full"
	assert_failure 74
}

@test "sp-manifest: | head -1 ends quietly" {
	mkdir t
	for i in $(seq 1 3000); do echo "$i" >"t/f$i"; done
	sp-collect t >recs
	run bash -c 'sp-manifest -C t recs 2>err | head -1; cat err'
	assert_success
	refute_output --partial sp-manifest:
}

@test "sp-manifest --cache: ended by SIGPIPE or SIGTERM, no temporary cache file is left" {
	mkdir t
	for i in $(seq 1 3000); do echo "$i" >"t/f$i"; done
	sp-collect t >recs
	run bash -c 'sp-manifest -C t --cache c.txt recs | head -1 >/dev/null; echo "${PIPESTATUS[0]}"'
	assert_output 141	# still ended by SIGPIPE, as a pure filter is
	run ls -A
	refute_output --partial sp-tmp
	# stopped while it waits for more records
	{ cat recs; sleep 2; } 2>/dev/null | sp-manifest -C t --cache c.txt >/dev/null 2>&1 &
	p=$!
	sleep 0.5
	kill -TERM "$p"
	st=0
	wait "$p" || st=$?
	[ "$st" -eq 143 ] || fail "status $st (finished before the signal?)"
	run ls -A
	refute_output --partial sp-tmp
}
