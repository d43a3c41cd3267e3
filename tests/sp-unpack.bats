#!/usr/bin/env bats
# sp-unpack: verification, refusals of hostile archives (built with python's
# tarfile by tests/lib/mkarchive), atomic installation, --delete, -n.

load helper

# snapshot DIR: every name, type, mode, link target and content hash.
snapshot() {
	(cd "$1" && find . -printf '%p %y %m %l\n' | sort &&
		find . -type f -print0 | sort -z | xargs -0r sha256sum)
}

# olddir DIR: a destination with local content that must survive refusals.
olddir() {
	mkfile "$1/keep.txt" "old contents"
	mkfile "$1/sub/deep.txt" "deep"
	ln -s keep.txt "$1/oldlink"
}

# refused SPEC MESSAGE: build the archive, unpack it over an existing tree,
# expect exit 65, MESSAGE on stderr and the tree byte-for-byte as it was.
refused() {
	echo "$1" | mkarchive bad.tgz
	rm -rf dest && olddir dest
	snapshot dest >before
	run --separate-stderr sp-unpack bad.tgz dest
	[ "$status" -eq 65 ] || fail "status $status, stderr: $stderr"
	[ -z "$output" ] || fail "wrote records: $output"
	[[ "$stderr" == *"$2"* ]] || fail "expected \"$2\" in: $stderr"
	snapshot dest >after
	cmp before after
	run ls -a
	refute_output --partial ".sp-tmp."
	# the verify-only mode refuses it the same way
	run --separate-stderr sp-unpack -n bad.tgz dest
	[ "$status" -eq 65 ]
	[[ "$stderr" == *"$2"* ]]
}

@test "sp-unpack: a python-made archive with a correct manifest installs, records per file" {
	echo '{"entries":[{"type":"file","name":"a.txt","data":"hi\n"},
		{"type":"file","name":"bin/run","data":"#!/bin/sh\n","mode":493},
		{"type":"link","name":"l","target":"a.txt"},{"type":"dir","name":"empty/"}]}' | mkarchive ok.tgz
	run sp-unpack ok.tgz out
	assert_success
	[ "$(cat out/a.txt)" = hi ]
	[ "$(stat -c %a out/bin/run)" = 755 ]
	[ "$(readlink out/l)" = a.txt ]
	[ -d out/empty ]
	assert_line --index 0 --partial '{"type":"file","path":"a.txt","size":3,"mode":"0644","mtime":1700000000,"sha256":"98ea6e4f216f2fb4b69fff9b3a44842c38686ca685f3f55dc48c5d3fb1107be4"}'
	[ "${#lines[@]}" -eq 3 ]
}

@test "sp-unpack: refuses an absolute path" {
	refused '{"entries":[{"type":"file","name":"/tmp/evil","data":"x"}],"omit":["/tmp/evil"]}' \
		"/tmp/evil: absolute path"
}

@test "sp-unpack: refuses .. components" {
	refused '{"entries":[{"type":"file","name":"a/../../evil","data":"x"}],"omit":["a/../../evil"]}' \
		'a/../../evil: ".." path component'
}

@test "sp-unpack: refuses hardlinks" {
	refused '{"entries":[{"type":"file","name":"a","data":"x"},{"type":"hard","name":"b","target":"a"}]}' \
		"b: hardlinks are refused"
}

@test "sp-unpack: refuses devices and FIFOs" {
	refused '{"entries":[{"type":"chr","name":"null"}]}' "null: device files are refused"
	refused '{"entries":[{"type":"blk","name":"sda"}]}' "sda: device files are refused"
	refused '{"entries":[{"type":"fifo","name":"pipe"}]}' "pipe: FIFOs are refused"
}

@test "sp-unpack: refuses duplicate entries" {
	refused '{"entries":[{"type":"file","name":"a","data":"x"},{"type":"file","name":"a","data":"x"}]}' \
		"a: duplicate entry"
}

@test "sp-unpack: refuses symlinks pointing outside DIR" {
	refused '{"entries":[{"type":"link","name":"up","target":"../outside"}]}' "up: symlink points outside the tree"
	refused '{"entries":[{"type":"link","name":"abs","target":"/etc/passwd"}]}' "abs: symlink to an absolute path"
	refused '{"entries":[{"type":"link","name":"d/s","target":".."},{"type":"link","name":"d/t","target":"s/../.."}]}' \
		'd/t: symlink target has ".." after a name'
}

@test "sp-unpack: refuses entries written through a symlink" {
	# listed in the manifest
	refused '{"entries":[{"type":"link","name":"l","target":"sub"},{"type":"file","name":"l/x","data":"1"}]}' \
		"l/x: would be written through the symlink l"
	# not listed: refused before anything else is said about it
	refused '{"entries":[{"type":"link","name":"l","target":"sub"},{"type":"file","name":"l/x","data":"1"}],"omit":["l/x"]}' \
		"l/x: would be written through the symlink l"
	# a directory entry below a symlink
	refused '{"entries":[{"type":"link","name":"l","target":"sub"},{"type":"dir","name":"l/d/"}]}' \
		"l/d/: would be written through the symlink l"
}

@test "sp-unpack: refuses names with control characters" {
	refused '{"entries":[{"type":"file","name":"new\nline","data":"1"}],"omit":["new\nline"]}' \
		"new?line: control character in name"
	refused '{"entries":[{"type":"file","name":"tab\there","data":"1"}]}' \
		"tab?here: control character in name"
	# C1 controls (U+009B is CSI, U+0085 NEL), in names and link targets
	refused '{"entries":[{"type":"file","name":"a\u009b31mX","data":"1"}]}' \
		"a?31mX: control character in name"
	refused '{"entries":[{"type":"file","name":"n\u0085l","data":"1"}]}' \
		"n?l: control character in name"
	refused '{"entries":[{"type":"link","name":"l","target":"x\u009by"}]}' \
		"control character in symlink target"
}

@test "sp-unpack: refuses archives over --max-size" {
	echo '{"entries":[{"type":"file","name":"big","data":"'"$(head -c 100000 /dev/zero | tr '\0' x)"'"}]}' | mkarchive big.tgz
	run sp-unpack --max-size 50K big.tgz dest
	assert_failure 65
	assert_output --partial "over the size limit of 51200 bytes"
	[ ! -e dest ]
	run sp-unpack --max-size 1M big.tgz dest
	assert_success
}

@test "sp-unpack: refuses truncated and corrupt gzip, and trailing garbage" {
	refused '{"entries":[{"type":"file","name":"a","data":"some data"}],"truncate":12}' "truncated gzip data"
	refused '{"entries":[{"type":"file","name":"a","data":"some data"}],"truncate":1}' "truncated gzip data"
	refused '{"entries":[{"type":"file","name":"a","data":"some data"}],"flip":40}' "corrupt gzip data"
	refused '{"entries":[{"type":"file","name":"a","data":"some data"}],"append":"junk"}' "trailing bytes after the gzip data"
	refused '{"entries":[{"type":"file","name":"a","data":"x"}],"gzip":false}' "archive:"
}

@test "sp-unpack: refuses a missing, misplaced or lying manifest" {
	refused '{"entries":[{"type":"file","name":"a","data":"x"}],"manifest":"none"}' \
		"a: the first entry must be the manifest .sp-manifest.json"
	refused '{"entries":[{"type":"file","name":"a","data":"x"}],"manifest":"last"}' \
		"a: the first entry must be the manifest"
	refused '{"entries":[{"type":"file","name":"a","data":"x"}],"omit":["a"]}' "a: not listed in the manifest"
	refused '{"entries":[{"type":"file","name":"a","data":"x"}],"override":{"a":{"sha256":"'"$(printf y | sha256sum | cut -c1-64)"'"}}}' \
		"a: SHA-256 differs from the manifest"
	refused '{"entries":[{"type":"file","name":"a","data":"x"}],"override":{"a":{"size":2}}}' \
		"a: size 1 differs from the manifest's 2"
	refused '{"entries":[{"type":"file","name":"a","data":"x"}],"add":[{"path":"gone","size":0,"mode":"0644","sha256":"'"$(sha256sum </dev/null | cut -c1-64)"'"}]}' \
		"gone: listed in the manifest, missing from the archive"
	refused '{"entries":[{"type":"file","name":"a","data":"x"}],"checksum":"'"$(printf 0%.0s {1..64})"'"}' \
		'"checksum" does not match the file list'
	refused '{"entries":[],"raw_manifest":"{\"version\":1,"}' ".sp-manifest.json: malformed JSON"
	refused '{"entries":[{"type":"link","name":"l","target":"a"}],"override":{"l":{"link":"b"}}}' \
		'l: "sha256" of a symlink is not the hash of its target'
}

# tree DIR: a small tree with a bit of everything an archive can carry.
tree() {
	mkfile "$1/a.txt" "new a"
	mkfile "$1/sub/b.txt" "new b"
	mkfile "$1/"$'caf\xc3\xa9.md' "unicode"
	printf 'x' >"$1/run.sh" && chmod 755 "$1/run.sh"
	ln -s a.txt "$1/l"
}

pack() {
	sp-collect "$1" | sp-manifest -C "$1" | sp-pack -C "$1" -o "$2" >/dev/null
}

@test "sp-unpack: an archive made by GNU tar with a correct manifest first is accepted" {
	tree t
	pack t sp.tgz
	mkdir t/emptydir	# travels as a directory entry
	mkdir g && tar -xzf sp.tgz -C g .sp-manifest.json
	for fmt in gnu posix ustar; do
		tar --format=$fmt -czf "g-$fmt.tgz" -C g .sp-manifest.json -C ../t .
		tar -tzf "g-$fmt.tgz" | grep -qx './sub/'	# directory entries, ./ prefixes
		run sp-unpack "g-$fmt.tgz" "out-$fmt"
		assert_success
		diff -r --no-dereference t "out-$fmt"
	done
}

@test "sp-unpack: reads standard input, with or without -" {
	tree t
	pack t a.tgz
	sp-unpack one <a.tgz >/dev/null
	sp-unpack - two <a.tgz >/dev/null
	diff -r --no-dereference t one
	diff -r --no-dereference t two
	run sp-unpack missing.tgz x
	assert_failure 66
	run sp-unpack
	assert_failure 2
	run sp-unpack a b c
	assert_failure 2
}

@test "sp-unpack: keeps local files the archive does not list; the archive wins for the others" {
	tree t
	pack t a.tgz
	mkfile d/a.txt "old a"
	mkfile d/local.txt "mine"
	mkfile d/sub/local2 "mine too"
	mkdir d/localdir
	ln -s /etc d/locallink
	chmod 700 d
	run --separate-stderr sp-unpack a.tgz d
	assert_success
	[ "$(cat d/a.txt)" = "new a" ]
	[ "$(cat d/local.txt)" = mine ]
	[ "$(cat d/sub/local2)" = "mine too" ]
	[ -d d/localdir ]
	[ "$(readlink d/locallink)" = /etc ]
	[ "$(stat -c %a d)" = 700 ]
	[ "$(stat -c %h d/local.txt)" = 1 ]	# the old tree is gone
	refute_output --partial deleted
	run ls -A
	refute_output --partial sp-tmp
}

@test "sp-unpack: --delete mirrors the archive and reports each removal" {
	tree t
	pack t a.tgz
	mkfile d/a.txt "old a"
	mkfile d/local.txt "mine"
	mkfile d/gone/deep/x "x"
	run sp-unpack --delete a.tgz d
	assert_success
	diff -r --no-dereference t d
	run jq -c 'select(.deleted)' <<<"$output"
	assert_output "$(printf '%s\n' '{"type":"file","path":"gone/deep/x","deleted":true}' '{"type":"file","path":"local.txt","deleted":true}')"
}

@test "sp-unpack: --remove drops the listed local files in the same step, reported; the archive wins" {
	tree t
	pack t a.tgz
	mkfile d/a.txt "old a"
	mkfile d/keep.txt "mine"
	mkfile d/sub/gone "x"
	mkfile d/gone2 "y"
	printf '%s\n' '{"type":"file","path":"sub/gone","size":1}' '{"type":"file","path":"gone2"}' \
		'{"type":"file","path":"a.txt"}' '{"type":"file","path":"not/there"}' >list
	run --separate-stderr sp-unpack --remove list a.tgz d
	assert_success
	[ "$(cat d/a.txt)" = "new a" ]
	[ "$(cat d/keep.txt)" = mine ]
	[ ! -e d/sub/gone ] && [ ! -e d/gone2 ]
	run jq -c 'select(.deleted)' <<<"$output"
	assert_output "$(printf '%s\n' '{"type":"file","path":"gone2","deleted":true}' '{"type":"file","path":"sub/gone","deleted":true}')"
	# from stdin, with the archive named
	mkfile d/gone3 "z"
	echo '{"type":"file","path":"gone3"}' | sp-unpack --remove - a.tgz d >/dev/null
	[ ! -e d/gone3 ] && [ -e d/keep.txt ]
	# a directory the removals empty goes too; one with anything else in
	# it stays, and so does an empty directory that the archive itself has
	mkfile d/x/y/gone "1"
	mkfile d/m/gone "2"
	mkdir d/m/emptydir
	mkfile d/emptydir/gone "3"
	printf '%s\n' '{"type":"file","path":"x/y/gone"}' '{"type":"file","path":"m/gone"}' \
		'{"type":"file","path":"emptydir/gone"}' >list
	mkdir t/emptydir g && tar -xzf a.tgz -C g .sp-manifest.json
	tar -czf g.tgz -C g .sp-manifest.json -C ../t .
	sp-unpack --remove list g.tgz d >/dev/null
	[ ! -e d/x ] && [ -d d/m/emptydir ] && [ -d d/emptydir ] && [ ! -e d/emptydir/gone ]
	[ -z "$(ls -A d/emptydir)" ]
}

@test "sp-unpack --filter: only matching files installed (as GNU tar extracts them), all verified; --delete within the filter" {
	tree t
	mkfile t/docs/x.md "x"
	mkfile t/docs/deep/y.md "y"
	pack t a.tgz
	mkfile d/a.txt "old a"
	mkfile d/docs/x.md "old x"
	mkfile d/docs/old.md "gone with --delete"
	mkfile d/notes/only.md "gone too, and its directory"
	mkfile d/local.txt "mine, outside the filter"
	run --separate-stderr sp-unpack -f 'docs/**' -f '**/*.md' --delete a.tgz d
	assert_success
	# the matching files are GNU tar's matching files
	mkdir g && tar -xzf a.tgz -C g --wildcards 'docs/*' 'café.md'
	for f in docs/x.md docs/deep/y.md café.md; do cmp "g/$f" "d/$f"; done
	[ "$(cat d/a.txt)" = "old a" ] && [ "$(cat d/local.txt)" = "mine, outside the filter" ]
	[ ! -e d/sub ] && [ ! -e d/run.sh ] && [ ! -e d/l ]
	[ ! -e d/docs/old.md ] && [ ! -e d/notes ]
	assert_equal "$(jq -r 'select(.deleted | not) | .path' <<<"$output" | sort | tr '\n' ' ')" "café.md docs/deep/y.md docs/x.md "
	assert_equal "$(jq -r 'select(.deleted) | .path' <<<"$output" | tr '\n' ' ')" "docs/old.md notes/only.md "
	# a file outside the filter is still verified: a lie there refuses all
	rm -rf g && mkdir g gm && tar -xzf a.tgz -C g && mv g/.sp-manifest.json gm/
	printf 'tampered' >g/sub/b.txt
	tar -czf bad.tgz -C gm .sp-manifest.json -C ../g .
	snapshot d >before
	run --separate-stderr sp-unpack -f 'docs/**' bad.tgz d
	assert_failure 65
	[[ "$stderr" == *"sub/b.txt"* ]] || fail "$stderr"
	snapshot d | cmp - before
}

# delta FULL OUT PATH...: the sp archive FULL cut to its manifest and the
# named entries, by GNU tar (what sp-cloudd's .../files/delta sends)
delta() {
	local full=$1 out=$2 x
	shift 2
	x=$(mktemp -d "$BATS_TEST_TMPDIR/delta.XXXXXX")
	tar -xzf "$full" -C "$x"
	tar -czf "$out" -C "$x" .sp-manifest.json "$@"
	rm -rf "$x"
}

@test "sp-unpack --local: a delta's missing files come from DIR, verified; a rename moves no bytes" {
	tree t
	for i in 1 2 3 4 5; do mkfile "t/docs/f$i" "content $i"; done
	pack t old.tgz
	sp-unpack old.tgz d >/dev/null
	sp-collect d | sp-manifest -C d >local.recs
	# the new tree: one file edited, one renamed, one added
	mkfile t/docs/f1 "edited"
	mv t/docs/f2 t/docs/f2-renamed
	mkfile t/docs/new "new"
	pack t new.tgz
	delta new.tgz delta.tgz docs/f1 docs/new l
	[ "$(tar -tzf delta.tgz | wc -l)" -eq 4 ]
	# without --local a delta is what it is: files missing, refused
	run --separate-stderr sp-unpack delta.tgz d
	assert_failure 65
	[[ "$stderr" == *"listed in the manifest, missing from the archive"* ]] || fail "$stderr"
	run --separate-stderr sp-unpack --delete --local local.recs delta.tgz d
	assert_success
	diff -r --no-dereference t d
	assert_equal "$(jq -r 'select(.from_local | not) | select(.deleted | not) | .path' <<<"$output" | sort | tr '\n' ' ')" "docs/f1 docs/new l "
	assert_equal "$(jq -r 'select(.from_local) | .path' <<<"$output" | grep -c .)" 8
	assert_equal "$(jq -r 'select(.deleted) | .path' <<<"$output")" "docs/f2"
	# the renamed file is the old file's inode, linked, not rewritten
	[ "$(stat -c %h d/docs/f3)" = 1 ]	# the old tree is gone
}

@test "sp-unpack --local: a local file that changed since it was listed refuses the delta, DIR untouched" {
	tree t
	mkfile t/docs/f1 "one"
	mkfile t/docs/f2 "two"
	pack t old.tgz
	sp-unpack old.tgz d >/dev/null
	sp-collect d | sp-manifest -C d >local.recs
	mkfile t/docs/f1 "ONE"
	pack t new.tgz
	delta new.tgz delta.tgz docs/f1 l
	printf 'tampered' >d/docs/f2	# after the records were made
	snapshot d >before
	run --separate-stderr sp-unpack --local local.recs delta.tgz d
	assert_failure 65
	[[ "$stderr" == *"d/docs/f2: changed since it was listed"* ]] || fail "$stderr"
	snapshot d | cmp - before
	run ls -A
	refute_output --partial sp-tmp
	# a file no record has: named
	printf 'two' >d/docs/f2
	snapshot d >before
	grep -v '"docs/f2"' local.recs >fewer.recs
	run --separate-stderr sp-unpack --local fewer.recs delta.tgz d
	assert_failure 65
	[[ "$stderr" == *"docs/f2: not in the archive, and no local file has its SHA-256"* ]] || fail "$stderr"
	snapshot d | cmp - before
	# a symlink in DIR where the records say a file: not followed
	rm d/docs/f2 && ln -s ../a.txt d/docs/f2
	run --separate-stderr sp-unpack --local local.recs delta.tgz d
	assert_failure 65
	run sp-unpack --plain --local local.recs delta.tgz d
	assert_failure 2
}

@test "sp-unpack: a bad --remove list is refused, naming file and line, DIR untouched" {
	tree t
	pack t a.tgz
	mkfile d/x "x"
	snapshot d >before
	printf '%s\n' '{"type":"file","path":"x"}' '{"type":"file","path":"../x"}' >bad1
	printf '%s\n' '{"type":"file","path":"x"}' '' '{"type":"row","table":"t"}' >bad2
	printf '%s\n' '{"type":"file","path":"x"' >bad3
	run --separate-stderr sp-unpack --remove bad1 a.tgz d
	[ "$status" -eq 65 ] && [[ "$stderr" == *"bad1:2: "* ]]
	run --separate-stderr sp-unpack --remove bad2 a.tgz d
	[ "$status" -eq 65 ] && [[ "$stderr" == *"bad2:3: not a file record"* ]]
	run --separate-stderr sp-unpack --remove bad3 a.tgz d
	[ "$status" -eq 65 ] && [[ "$stderr" == *"bad3:1: "* ]]
	run --separate-stderr sp-unpack --remove missing a.tgz d
	[ "$status" -eq 66 ]
	run --separate-stderr sp-unpack --remove - - d <a.tgz
	[ "$status" -eq 2 ]
	snapshot d >after
	cmp before after
	run ls -A
	refute_output --partial sp-tmp
}

@test "sp-unpack: --remove killed at every point, DIR is wholly old or wholly new" {
	mkfile t/new.txt "new"
	mkfile t/sub/a "a2"
	pack t a.tgz
	mkfile old/sub/a "a1"
	mkfile old/sub/gone "g"
	mkfile old/gone "g"
	mkfile old/kept "k"
	printf '%s\n' '{"type":"file","path":"sub/gone"}' '{"type":"file","path":"gone"}' >list
	cp -a old ref && sp-unpack --remove list a.tgz ref >/dev/null
	[ ! -e ref/gone ] && [ -e ref/kept ] && [ -e ref/new.txt ]
	snapshot old >old.snap
	snapshot ref >new.snap
	nold=0 nnew=0
	for n in $(seq 1 8); do
		rm -rf d && cp -a old d
		run env SP_FAULT_KILL_AT=$n sp-unpack --remove list a.tgz d
		snapshot d >snap
		if cmp -s snap old.snap; then
			nold=$((nold + 1))
		elif cmp -s snap new.snap; then
			nnew=$((nnew + 1))
		else
			diff old.snap snap >&2 || true
			fail "kill point $n: a mixed tree"
		fi
	done
	[ "$nold" -ge 3 ] && [ "$nnew" -ge 2 ]
}

@test "sp-unpack: a local file in the way of the archive is not kept, and is reported" {
	mkfile t/x/inside "archive's"
	pack t a.tgz
	mkfile d/x "a local file where the archive has a directory"
	mkfile d/sub/f "kept"
	ln -s /tmp d/l
	run --separate-stderr sp-unpack a.tgz d
	assert_success
	[ "$(cat d/x/inside)" = "archive's" ]
	[ "$(cat d/sub/f)" = kept ]
	[[ "$stderr" == *"d/x: not kept: the archive has a file or directory in its place"* ]]
	run jq -c 'select(.deleted)' <<<"$output"
	assert_output '{"type":"file","path":"x","deleted":true}'
}

teardown() {
	if [ -f "$BATS_TEST_TMPDIR/mounted" ]; then umount "$(cat "$BATS_TEST_TMPDIR/mounted")"; fi
	if [ -f "$BATS_TEST_TMPDIR/nobody-dir" ]; then rm -rf "$(cat "$BATS_TEST_TMPDIR/nobody-dir")"; fi
}

# as_nobody CMD...: run CMD as an unprivileged user (the test runs as root).
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"; }

@test "sp-unpack, unprivileged: keeps files it may not hard-link (copies), read-only directories" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to act as two users"
	command -v setpriv >/dev/null || skip "needs setpriv"
	tree t
	pack t a.tgz
	w=$(mktemp -d /tmp/sp-unpack-nobody.XXXXXX)
	echo "$w" >"$BATS_TEST_TMPDIR/nobody-dir"	# teardown removes it
	chmod 755 "$w"
	cp a.tgz "$(command -v sp-unpack)" "$w/"	# wherever the checkout is, nobody can run it
	mkdir "$w/d" && chown nobody:nogroup "$w" "$w/d"
	# a file of another user (root): fs.protected_hardlinks refuses links
	printf 'root owns this' >"$w/d/rootfile"
	ln -s rootfile "$w/d/rootlink"
	touch -d 2020-01-02 "$w/d/rootfile"
	# a read-only directory of ours
	as_nobody sh -c "mkdir -p '$w/d/ro' && echo x >'$w/d/ro/f' && chmod 555 '$w/d/ro'"
	run as_nobody "$w/sp-unpack" "$w/a.tgz" "$w/d"
	assert_success
	[ "$(cat "$w/d/rootfile")" = "root owns this" ]
	[ "$(stat -c %Y "$w/d/rootfile")" = "$(date -d 2020-01-02 +%s)" ]
	[ "$(readlink "$w/d/rootlink")" = rootfile ]
	[ "$(cat "$w/d/ro/f")" = x ] && [ "$(stat -c %a "$w/d/ro")" = 555 ]
	[ "$(cat "$w/d/a.txt")" = "new a" ]
	# --delete removes the read-only directory and leaves no old tree behind
	run as_nobody "$w/sp-unpack" --delete "$w/a.tgz" "$w/d"
	assert_success
	[ ! -e "$w/d/ro" ] && [ ! -e "$w/d/rootfile" ]
	run ls -A "$w"
	refute_output --partial sp-tmp
	rm -rf "${w:?}"
}

@test "sp-unpack: a file system mounted inside DIR is refused (74), its files untouched" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to mount"
	tree t
	pack t a.tgz
	mkdir -p d/vol
	mount -t tmpfs -o mode=1777 none d/vol || skip "cannot mount a tmpfs here"
	echo "$PWD/d/vol" >"$BATS_TEST_TMPDIR/mounted"	# teardown unmounts it
	echo precious >d/vol/data.txt
	run --separate-stderr sp-unpack a.tgz d
	[ "$status" -eq 74 ]
	[[ "$stderr" == *"d/vol: a mount point"* ]] || fail "$stderr"
	[ "$(cat d/vol/data.txt)" = precious ] && [ "$(stat -c %a d/vol)" = 1777 ]
	[ ! -e d/a.txt ]
	run ls -A
	refute_output --partial sp-tmp
	umount d/vol && rm "$BATS_TEST_TMPDIR/mounted"
}

@test "sp-unpack: -n verifies, writes nothing, and says what would change" {
	tree t
	pack t a.tgz
	mkfile d/a.txt "old a"
	mkfile d/local.txt "mine"
	snapshot d >before
	sp-unpack -n --delete a.tgz d >dry
	snapshot d >after
	cmp before after
	run ls -A
	refute_output --partial sp-tmp
	sp-unpack --delete a.tgz d >real
	cmp dry real
	grep -q '"path":"local.txt","deleted":true' real
	sp-unpack -n a.tgz new >/dev/null
	[ ! -e new ]
}

@test "sp-unpack: DIR as a symlink replaces the tree it points to" {
	tree t
	pack t a.tgz
	mkfile real/old "x"
	ln -s real d
	sp-unpack --delete a.tgz d >/dev/null
	[ -L d ]
	diff -r --no-dereference t real
}

@test "sp-unpack: a staging directory left by a killed run is removed, a live one is not" {
	tree t
	pack t a.tgz
	mkdir d
	mkfile d/.d.sp-tmp.Stale1/junk "left behind"
	mv d/.d.sp-tmp.Stale1 .d.sp-tmp.Stale1
	mkdir .d.sp-tmp.Live01
	exec 9<.d.sp-tmp.Live01
	flock 9	# as a running sp-unpack holds it
	sp-unpack a.tgz d >/dev/null
	[ ! -e .d.sp-tmp.Stale1 ]
	[ -d .d.sp-tmp.Live01 ]
	exec 9<&-
	sp-unpack a.tgz d >/dev/null
	run ls -A
	assert_output "$(printf 'a.tgz\nd\nt')"
}

@test "sp-unpack: killed at every point (fault injection), DIR is wholly old or wholly new" {
	mkdir t
	for i in $(seq 1 60); do mkfile "t/d$((i % 7))/f$i" "new $i"; done
	ln -s d1/f1 t/link
	pack t a.tgz
	mkdir old
	for i in $(seq 1 60 3); do mkfile "old/d$((i % 7))/f$i" "old $i"; done
	mkfile old/local "kept"
	cp -a old ref && sp-unpack a.tgz ref >/dev/null
	snapshot old >old.snap
	snapshot ref >new.snap
	! cmp -s old.snap new.snap
	nold=0 nnew=0
	# 61 entries, then keep, exchange, after exchange, after removal
	for n in $(seq 1 66); do
		rm -rf d && cp -a old d
		run env SP_FAULT_KILL_AT=$n sp-unpack a.tgz d
		snapshot d >snap
		if cmp -s snap old.snap; then
			nold=$((nold + 1))
			[ "$status" -ne 0 ] || fail "kill point $n: exit 0 but old tree"
		elif cmp -s snap new.snap; then
			nnew=$((nnew + 1))
		else
			diff old.snap snap >&2 || true
			fail "kill point $n: a mixed tree"
		fi
		# the next run cleans up and finishes the job
		sp-unpack a.tgz d >/dev/null
		snapshot d >snap
		cmp snap new.snap
		run ls -A
		refute_output --partial sp-tmp
	done
	[ "$nold" -ge 60 ] && [ "$nnew" -ge 2 ]
}

@test "sp-unpack --local: killed at every point of a delta, DIR is wholly old or wholly new" {
	mkdir t
	for i in $(seq 1 40); do mkfile "t/d$((i % 5))/f$i" "content $i"; done
	pack t a.tgz
	sp-unpack a.tgz old >/dev/null
	sp-collect old | sp-manifest -C old >old.recs
	# the new version: 3 edits, 2 renames, 1 new file, 1 removal
	for i in 1 2 3; do mkfile "t/d$((i % 5))/f$i" "edited $i"; done
	mv t/d4/f4 t/d4/f4.moved && mv t/d0/f5 t/d1/f5
	mkfile t/new "new" && rm t/d1/f6
	pack t b.tgz
	delta b.tgz delta.tgz d1/f1 d2/f2 d3/f3 new
	cp -a old ref && sp-unpack --delete --local old.recs delta.tgz ref >/dev/null
	diff -r t ref
	snapshot old >old.snap
	snapshot ref >new.snap
	nold=0 nnew=0
	for n in $(seq 1 46); do
		rm -rf d && cp -a old d
		run env SP_FAULT_KILL_AT=$n sp-unpack --delete --local old.recs delta.tgz d
		snapshot d >snap
		if cmp -s snap old.snap; then
			nold=$((nold + 1))
			[ "$status" -ne 0 ] || fail "kill point $n: exit 0 but old tree"
		elif cmp -s snap new.snap; then
			nnew=$((nnew + 1))
		else
			diff old.snap snap >&2 || true
			fail "kill point $n: a mixed tree"
		fi
		sp-unpack --delete --local old.recs delta.tgz d >/dev/null 2>&1 || sp-unpack --delete a.tgz d >/dev/null
		run ls -A
		refute_output --partial sp-tmp
	done
	[ "$nold" -ge 40 ] && [ "$nnew" -ge 2 ]
}

@test "sp-unpack: kill -9 at random moments, DIR is wholly old or wholly new" {
	mkdir t
	for i in $(seq 1 400); do mkfile "t/d$((i % 13))/f$i" "new $i"; done
	head -c 20000000 /dev/urandom >t/big
	pack t a.tgz
	mkdir old
	for i in $(seq 1 400 7); do mkfile "old/d$((i % 13))/f$i" "old $i"; done
	cp -a old ref && sp-unpack a.tgz ref >/dev/null
	snapshot old >old.snap
	snapshot ref >new.snap
	for delay in 0 0.005 0.01 0.02 0.03 0.05 0.08 0.1 0.15 0.2 0.3 0.5; do
		rm -rf d && cp -a old d
		sp-unpack a.tgz d >/dev/null &
		pid=$!
		sleep "$delay"
		kill -9 "$pid" 2>/dev/null || true
		wait "$pid" || true
		snapshot d >snap
		cmp -s snap old.snap || cmp -s snap new.snap || fail "killed after ${delay}s: a mixed tree"
	done
	sp-unpack a.tgz d >/dev/null
	snapshot d >snap
	cmp snap new.snap
	run ls -A
	refute_output --partial sp-tmp
}

@test "sp-unpack: refuses names and link targets no file system can hold" {
	long=$(printf 'n%.0s' $(seq 1 300))
	refused '{"entries":[{"type":"file","name":"'"$long"'","data":"x"}]}' "$long: name too long"
	refused '{"entries":[{"type":"link","name":"l","target":"'"$(printf 'a/%.0s' $(seq 1 2100))"'"}]}' \
		"l: symlink target too long"
}

@test "sp-unpack: a broken pax header is named as the entry after the last good one" {
	long=$(printf 'd%.0s' $(seq 1 120))
	echo '{"entries":[{"type":"file","name":"a","data":"x"},{"type":"file","name":"'"$long"'","data":"y"}],"format":"pax"}' |
		mkarchive pax.tgz
	# the pax record "130 path=ddd…" claims a length it does not have
	gzip -dc pax.tgz | python3 -c '
import re, sys
b = sys.stdin.buffer.read()
sys.stdout.buffer.write(re.sub(rb"\d+ path=ddd", lambda m: b"999" + m.group(0)[3:], b, count=1))' | gzip >bad.tgz
	mkdir dest
	run --separate-stderr sp-unpack bad.tgz dest
	assert_failure 65
	assert_equal "$stderr" "sp-unpack: the entry after a: Ignoring malformed pax extended attribute"
	[ -z "$(ls -A dest)" ]
}
