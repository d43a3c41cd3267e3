#!/usr/bin/env bats
# sp-pack: archives GNU tar and sha256sum agree with, reproducible, and
# never left behind on failure.

load helper

# tree DIR: what an archive can carry: UTF-8 names with spaces and quotes,
# modes, symlinks inside the tree, empty files, a long path.
tree() {
	local d=$1 p
	mkfile "$d/plain.txt" "hello"
	mkfile "$d/with space/and 'quotes\".md" "q"
	mkfile "$d/"$'caf\xc3\xa9/\xe6\x97\xa5\xe6\x9c\xac.md' "unicode"
	: >"$d/empty"
	p=$d/$(printf 'long-directory-name-%.0s' 1 2 3 4 5 6)/$(printf 'x%.0s' $(seq 1 120))
	mkfile "$p/f" "long path"
	printf '%s' "exec" >"$d/run.sh"
	chmod 755 "$d/run.sh"
	chmod 600 "$d/plain.txt"
	ln -s plain.txt "$d/link-to-file"
	ln -s "with space" "$d/link-to-dir"
	ln -s ../plain.txt "$d/with space/up"
	ln -s does-not-exist "$d/dangling"
	head -c 300000 /dev/urandom >"$d/random.bin"
}

@test "sp-pack: GNU tar lists and extracts the archive, sha256sum -c agrees with the manifest" {
	tree t
	sp-collect t | sp-manifest -C t | sp-pack -C t -o a.tgz >rec
	run tar -tzf a.tgz
	assert_success
	assert_line --index 0 .sp-manifest.json
	[ "${#lines[@]}" -eq $(($(sp-collect t | wc -l) + 1)) ]
	mkdir x
	tar -xzf a.tgz -C x
	# every regular file's hash, as sha256sum -c reads them
	jq -r '.files[] | select(.link == null) | "\(.sha256)  \(.path)"' x/.sp-manifest.json >sums
	[ "$(wc -l <sums)" -eq "$(find t -type f | wc -l)" ]
	(cd x && sha256sum -c --strict ../sums)
	rm x/.sp-manifest.json
	diff -r --no-dereference t x
	[ "$(readlink x/link-to-file)" = plain.txt ]
}

@test "sp-pack: normalized headers: owner 0/0, no names, 0644/0755/0777, mtime from the record" {
	tree t
	touch -d @1600000000 t/plain.txt
	sp-collect t | sp-manifest -C t | sp-pack -C t -o a.tgz >/dev/null
	run tar --numeric-owner -tvzf a.tgz
	refute_output --partial root
	while read -r mode owner _; do
		[ "$owner" = 0/0 ] || fail "owner $owner"
		case $mode in -rw-r--r--|-rwxr-xr-x|lrwxrwxrwx) ;; *) fail "mode $mode" ;; esac
	done <<<"$output"
	tar -tvzf a.tgz | grep -q -- '-rwxr-xr-x .* run.sh$'
	tar -tvzf a.tgz | grep -q -- '-rw-r--r-- .* plain.txt$'
	python3 -c 'import tarfile,sys; t=tarfile.open("a.tgz"); m=t.getmember("plain.txt"); sys.exit(not (m.mtime==1600000000 and m.uname=="" and m.gname=="" and m.uid==0))'
}

@test "sp-pack: the same tree packed twice, at any -j, gives byte-identical archives" {
	tree t
	for i in $(seq 1 40); do head -c $((i * 50000)) /dev/urandom >"t/f$i"; done
	sp-collect t | sp-manifest -C t >recs
	sp-pack -C t -o one.tgz -j 1 recs >r1
	sp-pack -C t -o two.tgz -j 4 <recs >r2
	cmp one.tgz two.tgz
	sp-pack -C t -o - recs >three.tgz
	cmp one.tgz three.tgz
	gzip -t one.tgz
	[ "$(jq -r .sha256 r1)" = "$(sha256sum <one.tgz | cut -c1-64)" ]
}

@test "sp-pack: the archive record: path, size, sha256, manifest_sha256, files" {
	tree t
	sp-collect t | sp-manifest -C t | sp-pack -C t -o a.tgz >rec
	run jq -r '[.type, .path, .size, .sha256, .manifest_sha256, .files] | @tsv' rec
	assert_output "$(printf 'archive\ta.tgz\t%s\t%s\t%s\t%s' "$(stat -c %s a.tgz)" \
		"$(sha256sum <a.tgz | cut -c1-64)" "$(tar -xzOf a.tgz .sp-manifest.json | sha256sum | cut -c1-64)" \
		"$(sp-collect t | wc -l)")"
}

@test "sp-pack: the manifest checksum is the documented canonical serialization" {
	tree t
	sp-collect t | sp-manifest -C t | sp-pack -C t -o a.tgz >/dev/null
	tar -xzOf a.tgz .sp-manifest.json >m.json
	run jq -r '.version, (.files|length), (.timestamp|test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$"))' m.json
	assert_output "$(printf '1\n%s\ntrue' "$(sp-collect t | wc -l)")"
	# sp(7): "path TAB size TAB mode TAB sha256 TAB link LF" per file, in order
	want=$(jq -r '.files[] | "\(.path)\t\(.size)\t\(.mode)\t\(.sha256)\t\(.link // "")"' m.json | sha256sum | cut -c1-64)
	[ "$(jq -r .checksum m.json)" = "$want" ]
}

@test "sp-pack: levels 0-9 all extract; a higher level is smaller" {
	mkdir t
	seq 1 200000 >t/numbers
	sp-collect t | sp-manifest -C t >recs
	sp-pack -C t -l 0 -o l0.tgz recs >/dev/null
	sp-pack -C t -l 9 -o l9.tgz recs >/dev/null
	[ "$(stat -c %s l9.tgz)" -lt "$(stat -c %s l0.tgz)" ]
	tar -xzOf l0.tgz numbers | cmp - t/numbers
	tar -xzOf l9.tgz numbers | cmp - t/numbers
	run sp-pack -C t -l 10 -o x.tgz recs
	assert_failure 2
}

@test "sp-pack: a file changed after sp-manifest exits 65 naming it, and no archive is left" {
	tree t
	sp-collect t | sp-manifest -C t >recs
	printf 'HELLO' >t/plain.txt	# same size, other bytes
	run sp-pack -C t -o a.tgz recs
	assert_failure 65
	assert_output "sp-pack: t/plain.txt: changed since sp-manifest ran (SHA-256 differs)"
	printf 'longer now' >t/plain.txt
	run sp-pack -C t -o a.tgz recs
	assert_failure 65
	assert_output --partial "t/plain.txt: changed since sp-manifest ran (size 10, record says 5)"
	rm t/link-to-file && ln -s empty t/link-to-file
	sp-collect t | sp-manifest -C t >recs2
	ln -sf run.sh t/link-to-file
	run sp-pack -C t -o a.tgz recs2
	assert_failure 65
	assert_output --partial "t/link-to-file: changed since sp-manifest ran (symlink target)"
	run ls -A
	assert_output "$(printf 'recs\nrecs2\nt')"
}

@test "sp-pack: a missing file exits 66; unhashed records, bad names and escaping links exit 65" {
	tree t
	sp-collect t | sp-manifest -C t >recs
	rm t/empty
	run sp-pack -C t -o a.tgz recs
	assert_failure 66
	assert_output --partial "t/empty"
	[ ! -e a.tgz ]
	echo '{"type":"file","path":"plain.txt","size":5}' >nohash
	run sp-pack -C t -o a.tgz nohash
	assert_failure 65
	assert_output 'sp-pack: nohash:1: plain.txt: record has no valid "sha256" (run sp-manifest first)'
	mkdir w && mkfile w/$'bad\xffname' x && mkfile w/$'new\nline' y && ln -s ../../etc/passwd w/out
	sp-collect w | sp-manifest -C w >wrecs
	run sp-pack -C w -o a.tgz wrecs
	assert_failure 65
	assert_output --partial "name is not valid UTF-8; archives carry UTF-8 names only"
	sp-collect -x $'bad\xffname' w | sp-manifest -C w >wrecs
	run sp-pack -C w -o a.tgz wrecs
	assert_failure 65
	assert_output --partial "unsafe path: control character in name"
	sp-collect -x $'bad\xffname' -x $'new\nline' w | sp-manifest -C w >wrecs
	run sp-pack -C w -o a.tgz wrecs
	assert_failure 65
	assert_output --partial "out: symlink points outside the tree"
	echo '{"type":"file","path":".sp-manifest.json","size":0,"sha256":"'"$(sha256sum </dev/null | cut -c1-64)"'"}' >res
	run sp-pack -C t -o a.tgz res
	assert_failure 65
	assert_output --partial "reserved for the manifest"
	[ ! -e a.tgz ]
	run ls -A
	refute_output --partial sp-tmp
}

@test "sp-pack: a write error on standard output exits 74; -o is required" {
	tree t
	sp-collect t | sp-manifest -C t >recs
	run bash -c 'sp-pack -C t -o - recs >/dev/full'
	assert_failure 74
	run sp-pack -C t recs
	assert_failure 2
	assert_output --partial "-o FILE is required"
}

@test "sp-pack: an empty record stream gives a valid archive holding only the manifest" {
	sp-pack -o a.tgz </dev/null >rec
	run tar -tzf a.tgz
	assert_output .sp-manifest.json
	[ "$(jq -r .files rec)" = 0 ]
	run sp-unpack a.tgz out
	assert_success
	assert_output ""
	[ -d out ]
}

@test "sp-pack: round trip collect | manifest | pack | unpack: diff -r shows nothing, modes and symlinks kept" {
	tree t
	mkdir -p t/emptydir/inner
	mkfile t/emptydir/inner/x "x"
	sp-collect t | sp-manifest -C t | sp-pack -C t -o a.tgz >/dev/null
	sp-unpack a.tgz out >recs
	diff -r --no-dereference t out
	[ "$(stat -c %a out/run.sh)" = 755 ]
	[ "$(stat -c %a out/plain.txt)" = 644 ]	# normalized from 600
	[ "$(readlink out/link-to-dir)" = "with space" ]
	[ "$(readlink "out/with space/up")" = ../plain.txt ]
	[ -L out/dangling ]
	[ "$(stat -c %Y out/random.bin)" = "$(stat -c %Y t/random.bin)" ]
	# the records are what sp-manifest says of the new tree
	sp-collect out | sp-manifest -C out | jq -c '{path,size,sha256,link}' >want
	jq -c '{path,size,sha256,link}' recs >got
	diff want got
}

@test "sp-pack -o FILE: interrupted by a signal, neither FILE nor a temporary file is left" {
	mkdir t
	head -c 300M /dev/urandom >t/big
	sp-collect t | sp-manifest -C t >recs
	# stopped while it compresses (seconds at -l 9; a background job of a
	# script ignores SIGINT: TERM and HUP here)
	for sig in TERM HUP; do
		sp-pack -l 9 -C t -o out.tgz <recs >/dev/null &
		p=$!
		sleep 0.5
		kill -"$sig" "$p"
		st=0
		wait "$p" || st=$?
		[ "$st" -gt 128 ] || fail "$sig: status $st (finished before the signal?)"
		run ls -A
		assert_output "$(printf 'recs\nt')"
	done
}

@test "sp-pack --base: the records replace, --remove leaves out, the rest of the base is kept, in one archive" {
	mkfile base/a/x one
	mkfile base/b/y two
	mkfile base/z three
	mkfile base/gone.txt bye
	ln -s z base/l
	sp-collect base | sp-manifest -C base | sp-pack -C base -o base.tgz >/dev/null
	# local: b/y changed, a new file, z became a directory
	mkfile loc/b/y TWO
	mkfile loc/n new
	mkfile loc/z/in inner
	printf '{"type":"file","path":"gone.txt"}\n{"type":"file","path":"l"}\n' >rm.ndjson
	sp-collect loc | sp-manifest -C loc >recs
	run sp-pack -C loc --base base.tgz --remove rm.ndjson -o new.tgz recs
	assert_success
	[ "$(jq -r '"\(.files) \(.from_base)"' <<<"$output")" = "4 1" ]
	# what GNU tar unpacks is the base overlaid with the change
	mkdir want got
	cp -a base/a want/ && cp -a loc/. want/
	tar -xzf new.tgz -C got
	rm got/.sp-manifest.json
	diff -r want got
	# and sp-unpack verifies it (manifest first, every hash)
	mkdir out && sp-unpack new.tgz out >/dev/null
	diff -r want out
	# the same change through an unpacked stage gives the same manifest
	mkdir stage && sp-unpack base.tgz stage >/dev/null
	rm -rf stage/z stage/gone.txt stage/l && cp -a loc/. stage/
	sp-collect stage | sp-manifest -C stage | sp-pack -C stage -o stage.tgz >/dev/null
	cmp <(tar -xzOf stage.tgz .sp-manifest.json | jq -S 'del(.timestamp)') \
		<(tar -xzOf new.tgz .sp-manifest.json | jq -S 'del(.timestamp)')
}

@test "sp-pack --base: a corrupt base is refused (65) and no archive is left; --remove needs --base" {
	mkfile base/a "$(head -c 5000 /dev/urandom | od -An -tx1)"
	mkfile base/b kept
	sp-collect base | sp-manifest -C base | sp-pack -C base -l 0 -o base.tgz >/dev/null
	# flip one byte of a's data (gzip level 0: the data is stored as is)
	off=$(grep -abo "$(head -c 16 base/a)" base.tgz | head -1 | cut -d: -f1)
	printf 'Z' | dd of=base.tgz bs=1 seek=$((off + 100)) conv=notrunc 2>/dev/null
	mkfile loc/c new
	sp-collect loc | sp-manifest -C loc >recs
	run sp-pack -C loc --base base.tgz -o new.tgz recs
	assert_failure 65
	assert_output --partial "base.tgz: "
	[ ! -e new.tgz ]
	run ls -A
	refute_output --partial sp-tmp
	run sp-pack -C loc --remove recs -o new.tgz recs
	assert_failure 2
	assert_output --partial "--remove needs --base"
	run sp-pack -C loc --base missing.tgz -o new.tgz recs
	assert_failure 66
}
