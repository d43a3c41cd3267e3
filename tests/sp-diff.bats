#!/usr/bin/env bats
# sp-diff: hash join of two record streams.

load helper
load local_fixtures

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
	services_tree services
	sp-scan content services/content >disk
}

# like_db: what a database export of these rows looks like: other key
# order, created_at/updated_at, no path, timestamps as PostgreSQL gives them.
like_db() {
	jq -c '{type, table, data: (.data + {created_at: "2026-01-01T00:00:00.123Z", updated_at: "2026-01-02T00:00:00Z",
	  agent_id: null} | to_entries | reverse | from_entries)}
	  | if .data.published_at then .data.published_at |= sub("Z$"; "+00:00") else . end' "$@"
}

@test "sp-diff: identical inputs exit 0 with a summary" {
	run --separate-stderr sp-diff disk disk
	assert_success
	assert_output ""
	assert_equal "$stderr" "sp-diff: 0 added, 0 removed, 0 modified, 6 unchanged"
}

@test "sp-diff: a row read back from the database compares unchanged" {
	like_db disk >db
	run --separate-stderr sp-diff disk db
	assert_success
	assert_equal "$stderr" "sp-diff: 0 added, 0 removed, 0 modified, 6 unchanged"
	run --separate-stderr sp-diff db disk
	assert_success
}

@test "sp-diff: added, removed and modified, with the winning record" {
	like_db disk | jq -c 'select(.data.slug != "privacy") | if .data.slug == "guide" then .data.title = "Old title" else . end' >db
	mkfile extra.json '{"type":"row","table":"content","data":{"id":"11111111-1111-5111-8111-111111111111","slug":"gone"}}'
	cat extra.json >>db
	run --separate-stderr sp-diff disk db
	[ "$status" -eq 1 ]
	assert_equal "$stderr" "sp-diff: 1 added, 1 removed, 1 modified, 4 unchanged"
	run jq -r '"\(.status) \(.key) \(.left_hash != null) \(.right_hash != null) \(.record.data.slug) \(.record.data.title)"' <<<"$output"
	assert_output --partial "modified content/$(uuid5 blog/guide) true true guide A guide"
	assert_output --partial "added content/$(uuid5 legal/privacy) true false privacy Privacy policy"
	assert_output --partial "removed content/11111111-1111-5111-8111-111111111111 false true gone null"
	run --separate-stderr sp-diff -a disk db
	[ "$(jq -r .status <<<"$output" | sort | uniq -c | awk '{print $2 "=" $1}' | paste -sd,)" = "added=1,modified=1,removed=1,unchanged=4" ]
}

@test "sp-diff --emit left|right writes the raw records of one side" {
	like_db disk | jq -c 'select(.data.slug != "privacy") | if .data.slug == "guide" then .data.title = "Old" else . end' >db
	echo '{"type":"row","table":"content","data":{"id":"gone"}}' >>db
	run --separate-stderr sp-diff --emit left disk db
	[ "$status" -eq 1 ]
	diff <(echo "$output" | sort) <(grep -e '"slug":"privacy"' -e '"slug":"guide"' disk | sort)
	run --separate-stderr sp-diff --emit right disk db
	[ "$status" -eq 1 ]
	diff <(echo "$output" | sort) <(grep -e '"id":"gone"' -e '"title":"Old"' db | sort)
	run --separate-stderr sp-diff -a --emit left disk db
	[ "$(wc -l <<<"$output")" -eq 6 ]
}

@test "sp-diff: a database edit that left content_hash stale is still found" {
	like_db disk | jq -c 'if .data.slug == "unicode" then .data.metadata.extra = 1 else . end' >db
	[ "$(jq -r 'select(.data.slug=="unicode") | .data.content_hash' db)" = "$(jq -r 'select(.data.slug=="unicode") | .data.content_hash' disk)" ]
	run --separate-stderr sp-diff disk db
	[ "$status" -eq 1 ]
	assert_equal "$(jq -r .record.data.slug <<<"$output")" unicode
}

@test "sp-diff: a change in any single synced field is modified, and nothing else is" {
	sp-scan skills services/skills >skills
	cat skills >>disk
	for edit in '.title="T2"' '.tags += ["new"]' '.tags = (.tags|reverse)' '.metadata.after_reading_this[0]="changed"' \
		'.metadata.related_docs[1].url="/x"' '.metadata.new=true' '.body += "x"' '.public=false' '.published_at="2024-01-16T00:00:00Z"' \
		'.description=null' '.author="B"' '.keywords="k"' '.image="i"' '.kind="k"' '.category_id="c"'; do
		jq -c "if .data.slug == \"hello-world\" then .data |= ($edit) else . end" disk >edited
		run --separate-stderr sp-diff edited disk
		[ "$status" -eq 1 ] || fail "$edit: status $status"
		assert_equal "$stderr" "sp-diff: 0 added, 0 removed, 1 modified, 8 unchanged"
	done
	for edit in '.instructions += "x"' '.enabled=true' '.name="n"' '.metadata.priority=4' '.metadata.instructions_frontmatter.name="x"' '.file_path="x/config.yaml"'; do
		jq -c "if .data.skill_id == \"translator\" then .data |= ($edit) else . end" disk >edited
		run --separate-stderr sp-diff edited disk
		assert_equal "$stderr" "sp-diff: 0 added, 0 removed, 1 modified, 8 unchanged"
	done
	# not synced: timestamps, the stored hash, key order, CR LF in the body
	jq -c '.data.updated_at="2030-01-01T00:00:00Z" | .data.content_hash="0" | if .data.body then .data.body |= gsub("\n"; "\r\n") else .data.instructions |= gsub("\n"; "\r\n") end' disk >edited
	run --separate-stderr sp-diff edited disk
	assert_success
}

@test "sp-diff: file records compare by sha256" {
	mkdir t && echo a >t/a && echo b >t/b && echo c >t/c
	sp-collect t | sp-manifest -C t >old
	echo B >t/b && rm t/c && echo d >t/d
	sp-collect t | sp-manifest -C t >new
	run --separate-stderr sp-diff new old
	[ "$status" -eq 1 ]
	assert_equal "$(jq -r '"\(.status) \(.key)"' <<<"$output" | sort | paste -sd,)" "added d,modified b,removed c"
	sp-collect t >nohash
	run --separate-stderr sp-diff nohash old
	[ "$status" -eq 65 ]
	[[ "$stderr" == "sp-diff: nohash:1: file record without a valid \"sha256\""* ]] || fail "$stderr"
}

@test "sp-diff: malformed input, duplicate keys, usage errors" {
	printf '%s\n' "$(head -1 disk)" 'nope' >bad
	run --separate-stderr sp-diff bad disk
	[ "$status" -eq 65 ]
	[[ "$stderr" == "sp-diff: bad:2: malformed JSON"* ]] || fail "$stderr"
	printf '%s\n%s\n' "$(head -1 disk)" "$(head -1 disk)" >dup
	run --separate-stderr sp-diff dup /dev/null
	[ "$status" -eq 65 ]
	[[ "$stderr" == *"dup:2: key \"content/"*"already at line 1"* ]] || fail "$stderr"
	# a key repeated after its first record found its partner, or after
	# the other side ended, is caught too, on either side
	a=$(head -1 disk)
	b=$(jq -c '.sha256 = ("0" * 64)' <<<"$a")
	printf '%s\n' "$a" >one
	printf '%s\n%s\n%s\n' "$a" "$(sed -n 2p disk)" "$b" >two
	for args in "one two" "two one" "-a one two" "--emit right one two"; do
		run --separate-stderr sp-diff $args
		[ "$status" -eq 65 ] || fail "$args: status $status"
		[[ "$stderr" == *"two:3: key \""*"already at line 1"* ]] || fail "$args: $stderr"
	done
	printf '%s\n' "$(sed -n 3p disk)" >other
	run --separate-stderr sp-diff other two
	[ "$status" -eq 65 ] && [[ "$stderr" == *"two:3: key"*"already at line 1"* ]]
	echo '{"type":"row","table":"content","data":{}}' >noid
	run --separate-stderr sp-diff noid disk
	[ "$status" -eq 65 ]
	run --separate-stderr sp-diff - - </dev/null
	[ "$status" -eq 2 ]
	run --separate-stderr sp-diff disk
	[ "$status" -eq 2 ]
	run --separate-stderr sp-diff disk missing
	[ "$status" -eq 66 ]
	run sh -c 'sp-diff -a disk disk >/dev/full'
	[ "$status" -eq 74 ]
}

@test "sp-diff: stdin on either side; other record types are ignored" {
	{ echo '{"type":"result","operation":"x"}'; cat disk; } >withresult
	run --separate-stderr sp-diff - disk <withresult
	assert_success
	run --separate-stderr sp-diff disk - <withresult
	assert_success
}

@test "sp-diff --filter compares only matching records" {
	like_db disk | jq -c 'if .data.source_id == "docs" then .data.title = "changed" else . end' >db
	run --separate-stderr sp-diff --filter blog disk db
	assert_success
	run --separate-stderr sp-diff -f 'docs/*' disk db
	[ "$status" -eq 1 ]
	assert_equal "$stderr" "sp-diff: 0 added, 0 removed, 2 modified, 0 unchanged"
}

@test "sp-diff: large inputs in different orders match an independent join" {
	python3 - <<'PY'
import json, random
random.seed(7)
L, R = [], []
for i in range(5000):
    d = {"id": "id-%05d" % i, "source_id": "s", "slug": "p%d" % i, "title": "t%d" % i, "body": "b"}
    r = random.random()
    if r < 0.05: L.append(d); continue
    if r < 0.10: R.append(d); continue
    L.append(d)
    R.append(dict(d, title="changed") if r < 0.30 else d)
random.shuffle(R)
for name, rows in (("L", L), ("R", R)):
    with open(name, "w") as f:
        for d in rows:
            f.write(json.dumps({"type": "row", "table": "content", "data": d}) + "\n")
PY
	run --separate-stderr sp-diff -j 3 L R
	[ "$status" -eq 1 ]
	jq -r '"\(.status) \(.key)"' <<<"$output" | sort >got
	# the same join with jq, sort and join(1)
	jq -r '"content/\(.data.id) \(.data|tostring)"' L | sort >l
	jq -r '"content/\(.data.id) \(.data|tostring)"' R | sort >r
	{ join -v1 l r | awk '{print "added " $1}'; join -v2 l r | awk '{print "removed " $1}'
	  join l r -o 0,1.2,2.2 | awk '$2 != $3 {print "modified " $1}'; } | sort >want
	diff got want
	[ "$(grep -c . want)" -gt 1000 ]
}

@test "sp-diff --filter skills selects agent_skills rows by table alias" {
	sp-scan skills services/skills >sk
	cat sk disk >both
	jq -c 'if .table == "agent_skills" then .data.name = "x" else . end' both >both2
	run --separate-stderr sp-diff --filter skills both2 both
	[ "$status" -eq 1 ]
	assert_equal "$stderr" "sp-diff: 0 added, 0 removed, 3 modified, 0 unchanged"
}

@test "sp-diff --summary: one machine record last, counts and keys per status, truncated at --summary-keys" {
	for i in 1 2 3 4 5; do
		printf '{"type":"file","path":"f%d","size":1,"mode":"0644","sha256":"%s"}\n' "$i" "$(printf "$i" | sha256sum | cut -c1-64)"
	done >left
	{ sed -n '1,2p' left; printf '{"type":"file","path":"f3","size":1,"mode":"0644","sha256":"%s"}\n' "$(printf x | sha256sum | cut -c1-64)"
	  printf '{"type":"file","path":"g","size":1,"mode":"0644","sha256":"%s"}\n' "$(printf g | sha256sum | cut -c1-64)"; } >right
	run --separate-stderr sp-diff --summary left right
	assert_failure 1
	last=$(tail -n 1 <<<"$output")
	assert_equal "$(jq -c 'del(.type)' <<<"$last")" \
		'{"added":2,"removed":1,"modified":1,"unchanged":2,"keys":{"added":["f4","f5"],"removed":["g"],"modified":["f3"]},"keys_truncated":false}'
	assert_equal "$(jq -r .type <<<"$last")" summary
	# the records before it are the plain diff output, as without --summary
	assert_equal "$(head -n -1 <<<"$output")" "$(sp-diff left right 2>/dev/null)"
	# the counts agree with an independent count of the diff records
	assert_equal "$(sp-diff left right 2>/dev/null | jq -rs 'map(.status) | group_by(.) | map("\(.[0])=\(length)") | join(" ")')" \
		"added=2 modified=1 removed=1"
	run sp-diff --summary-keys 1 left right
	assert_equal "$(tail -n 1 <<<"$output" | jq -c '[.keys.added, .keys_truncated]')" '[["f4"],true]'
	run sp-diff --summary-keys 0 left right
	assert_equal "$(tail -n 1 <<<"$output" | jq -c 'keys')" '["added","modified","removed","type","unchanged"]'
}
