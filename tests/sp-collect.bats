#!/usr/bin/env bats
# sp-collect: the tree walk, cross-checked against find(1).

load helper

@test "sp-collect: lists the same files and symlinks as find, in bytewise order" {
	weird_tree t
	sp-collect t >recs
	recpaths <recs >ours
	(cd t && find . \( -type f -o -type l \) -printf '%P\0' | LC_ALL=C sort -z) >theirs
	cmp ours theirs
	[ "$(tr -cd '\0' <ours | wc -c)" -eq "$(find t \( -type f -o -type l \) | grep -c /)" ] || true
	# one compact JSON object per line
	run jq -c . recs
	assert_success
	[ "$(wc -l <recs)" -eq "$(jq -c . recs | wc -l)" ]
}

@test "sp-collect: size, mode and mtime come from lstat" {
	weird_tree t
	sp-collect t >recs
	run jq -r 'select(.path=="run.sh") | "\(.size) \(.mode) \(.mtime)"' recs
	assert_output "4 0755 $(stat -c %Y t/run.sh)"
	run jq -r 'select(.path=="random.bin") | "\(.size) \(.mode)"' recs
	assert_output "300000 0644"
	run jq -r 'select(.path=="empty") | .size' recs
	assert_output 0
}

@test "sp-collect: symlinks are recorded with their target and never followed" {
	weird_tree t
	sp-collect t >recs
	run jq -r 'select(.link) | "\(.path) -> \(.link)"' recs
	assert_line "link-to-file -> plain.txt"
	assert_line "link-to-dir -> a"
	assert_line "dangling -> does-not-exist"
	assert_line "loop1 -> loop2"
	assert_line "loop2 -> loop1"
	assert_line "a/outside -> ../../etc/passwd"
	# nothing below the symlinked directory
	run jq -r 'select(.path | startswith("link-to-dir/")) | .path' recs
	assert_output ""
}

@test "sp-collect: names that are not UTF-8 carry path_b64 with the exact bytes" {
	weird_tree t
	sp-collect t >recs
	run jq -r 'select(.path_b64) | .path_b64' recs
	assert_line "$(printf 'bad\xffname' | base64)"
	assert_line "$(printf 'dir\xfe/inner' | base64)"
	# the readable path replaces each bad byte by U+FFFD
	run jq -r 'select(.path_b64) | .path' recs
	assert_line "bad$(printf '\xef\xbf\xbd')name"
	# the newline stays a JSON escape: the record is still one line
	run grep -c 'new\\nline' recs
	assert_output 1
}

@test "sp-collect: default excludes skip .git/, editor backups, .DS_Store and the root manifest" {
	mkfile t/keep.md k
	mkfile t/.git/config c
	mkfile t/sub/.git/HEAD h
	mkfile t/notes.md~ b
	mkfile t/.notes.md.swp s
	mkfile t/.DS_Store d
	mkfile t/.sp-manifest.json m
	mkfile t/sub/.sp-manifest.json m
	run sp-collect t
	assert_success
	run jq -r .path <<<"$output"
	assert_output "keep.md
sub/.sp-manifest.json"
	run sp-collect --no-default-excludes t
	assert_line --partial '"path":".git/config"'
	assert_line --partial '"path":".sp-manifest.json"'
}

@test "sp-collect: include and exclude globs, the last matching rule wins" {
	mkfile t/a.md
	mkfile t/b.txt
	mkfile t/docs/c.md
	mkfile t/docs/deep/er/d.md
	mkfile t/docs/deep/er/e.txt
	mkfile t/build/f.md
	run sp-collect --exclude '*.txt' t
	assert_output --partial docs/deep/er/d.md
	refute_output --partial .txt
	# later rule wins: include after exclude brings it back
	run sp-collect --exclude '*.txt' --include 'docs/**/e.txt' t
	assert_output --partial '"docs/deep/er/e.txt"'
	refute_output --partial '"b.txt"'
	# "**" crosses directories, a pattern with "/" is anchored
	run sp-collect --exclude 'docs/**/*.md' t
	refute_output --partial 'd.md'
	assert_output --partial '"docs/deep/er/e.txt"'
	assert_output --partial '"a.md"'
	# trailing "/" matches directories only, and excluded ones are not entered
	run sp-collect --exclude 'build/' t
	refute_output --partial build
	run sp-collect --exclude '/a.md' t
	refute_output --partial '"a.md"'
	assert_output --partial '"docs/c.md"'
}

@test "sp-collect: an empty tree gives no records" {
	mkdir empty
	run sp-collect empty
	assert_success
	assert_output ""
}

@test "sp-collect: a missing directory exits 66 naming it" {
	run sp-collect nowhere
	assert_failure 66
	assert_output "sp-collect: nowhere: No such file or directory"
}

@test "sp-collect: an unreadable directory is an error naming it" {
	d=$(public_tmp)
	mkdir -p "$d/t/locked" "$d/t/ok"
	echo x >"$d/t/ok/f"
	chmod 000 "$d/t/locked"
	run as_nobody sp-collect "$d/t"
	rm -rf "$d"
	assert_failure 66
	assert_output --partial "t/locked: cannot open directory: Permission denied"
}

@test "sp-collect: special files are skipped with a warning" {
	mkfile t/f x
	mkfifo t/pipe
	run sp-collect t
	assert_success
	assert_line --partial '"path":"f"'
	assert_line "sp-collect: t/pipe: skipping special file"
}

@test "sp-collect: a write error on stdout exits 74" {
	weird_tree t
	run bash -c "sp-collect t >/dev/full"
	assert_failure 74
	assert_output --partial "write error"
}

@test "sp-collect: | head -1 ends quietly" {
	mkdir t
	for i in $(seq 1 3000); do : >"t/file-$i"; done
	run bash -c 'sp-collect t 2>err | head -1; cat err'
	assert_success
	assert_output --partial '"path":"file-1"'
	refute_output --partial sp-collect:
}

@test "sp-collect: usage errors exit 2" {
	run sp-collect --bogus
	assert_failure 2
	run sp-collect a b
	assert_failure 2
	assert_output --partial "too many arguments"
}
