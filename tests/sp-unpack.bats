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
