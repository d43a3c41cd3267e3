#!/usr/bin/env bats
# sp-write: row records -> files, the inverse of sp-scan.

load helper
load local_fixtures

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
	services_tree services
}

# rows FILE: row records sorted by id with sorted keys, for comparison.
rows() { jq -cS . "$1" | sort; }

@test "sp-write content: scan -> write into an empty directory -> scan gives the same rows" {
	sp-scan content services/content >a
	run sp-write -p content copy/content a
	assert_success
	[ "$(jq -r .action <<<"$output" | sort -u)" = created ]
	cp services/content/config.yaml copy/content/
	sp-scan content copy/content >b
	diff <(rows a) <(rows b)
}

@test "sp-write skills: scan -> write -> scan gives the same rows and hashes" {
	sp-scan skills services/skills >a
	sp-write -p skills copy a >/dev/null
	sp-scan skills copy >b
	# the writer names index.md SKILL.md in a fresh tree; file_path stays
	diff <(rows a) <(rows b)
	[ -f copy/writer/config.yml ] && [ -f copy/writer/SKILL.md ] && [ -f copy/übersetzer/SKILL.md ]
	run cat copy/code-review/SKILL.md
	assert_output $'---\nallowed-tools:\n- Read\n- Grep\nname: code-review\n---\n# Code review\n\n1. Read the diff.\n2. Say what is wrong.'
}

@test "sp-write: a tree sp-write wrote is reproduced byte for byte" {
	for k in skills content; do
		sp-scan "$k" "services/$k" | sp-write -p "$k" "one/$k" >/dev/null
		sp-scan "$k" "one/$k" | sp-write -p "$k" "two/$k" >/dev/null
		# writing the rows of the copy back into it changes nothing
		run sh -c "sp-scan $k one/$k | sp-write $k one/$k"
		assert_success
		assert_output ""
	done
	diff -r one two
}

@test "sp-write: the YAML is deterministic and readable" {
	sp-scan skills services/skills | sp-write -p skills copy >/dev/null
	run cat copy/code-review/config.yaml
	assert_output "$(cat <<'EOF'
id: code-review
name: Code review
description: 'Review a change: correctness, tests, style'
category: engineering
tags:
- review
- quality
experimental: false
file: SKILL.md
inputs:
- name: diff
  required: true
- name: context
  required: false
limits:
  languages:
  - c
  - sh
  max_files: 50
priority: 3
weight: 0.75
EOF
)"
	sp-scan content services/content | sp-write -p content copy >/dev/null
	run cat copy/blog/2024/hello-world.md
	assert_output '---
title: Hello, world
slug: hello-world
description: The first post
author: Ann Example
kind: blog
category: articles
tags:
- intro
- news
keywords: hello, world
image: /files/images/hello.png
published_at: 2024-01-15
after_reading_this:
- You know what this blog is about
- You can subscribe
related_docs:
- title: Getting started
  url: /docs/getting-started
- title: Privacy
  url: /legal/privacy
updated_at: 2024-02-01
---

# Hello

Welcome.'
}

@test "sp-write: strings that look like other types, multi-line and odd strings survive" {
	jq -nc '{type:"row",table:"content",data:{id:"x",source_id:"blog",slug:"odd",title:"true",
	  description:"123", author:"", kind:"null", public:true, tags:["yes","0x10","1.5"," lead", "a: b","#c"],
	  keywords:"multi\nline\n", image:"- dash", category_id:null, published_at:"2024-05-06T07:08:09.5+01:00",
	  body:"---\nnot frontmatter\n",
	  metadata:{n:1, f:2.5, big:1e300, s:"~", t:"\ttab", u:"ü\u0001", deep:{z:[{}],a:[]}, "key with: colon":"v"}}}' >in
	sp-write -p content out in >/dev/null
	sp-scan content out >back
	# a new page of a source named blog, which has no pages yet, goes to
	# SLUG/index.md, as upstream writes blog pages
	diff <(jq -S '.data | del(.id, .content_hash, .category_id) | .file_path = "blog/odd/index.md"' in) <(jq -S '.data | del(.id, .content_hash, .category_id) | .published_at = "2024-05-06T07:08:09.5+01:00"' back)
	[ "$(jq -r .data.published_at back)" = "2024-05-06T06:08:09.5Z" ]
	[ "$(jq -r .data.category_id back)" = null ]
}

@test "sp-write: only files whose bytes change are written; dry run writes nothing" {
	sp-scan content services/content >a
	sp-write content services/content a >out
	[ "$(wc -l <out)" -eq 6 ]	# every page is rewritten once in canonical form
	run sp-write content services/content a
	assert_output ""
	before=$(stat -c %Y.%i services/content/legal/privacy.md)
	jq -c 'if .data.slug=="privacy" then .data.title="Privacy, revised" else . end' a >b
	run sp-write -n content services/content b
	assert_output --regexp '^\{"type":"file","path":"legal/privacy.md",.*"action":"updated","dry_run":true\}$'
	grep -q 'title: Privacy policy' services/content/legal/privacy.md
	run sp-write content services/content b
	assert_output --regexp '^\{"type":"file","path":"legal/privacy.md",.*"action":"updated"\}$'
	grep -q 'title: Privacy, revised' services/content/legal/privacy.md
	[ "$(jq -r .sha256 <<<"$output")" = "$(sha256sum services/content/legal/privacy.md | cut -c1-64)" ]
	[ "$before" != "$(stat -c %Y.%i services/content/legal/privacy.md)" ]
	[ -z "$(find services -name '*.sp-tmp.*')" ]
}

@test "sp-write content: a row goes where its page already is, else SOURCE/SLUG.md" {
	sp-scan content services/content | jq -c 'del(.path) | .data.body += "more\n"' >a
	run sp-write content services/content a
	assert_success
	[ "$(jq -r .path <<<"$output" | sort | paste -sd,)" = "blog/2024/hello-world.md,blog/2024/unicode.md,blog/guide/index.md,documentation/deep/nested/page.md,documentation/getting-started.md,legal/privacy.md" ]
	jq -nc '{type:"row",table:"content",data:{id:"n",source_id:"docs",slug:"brand-new",title:"New",body:"b\n"}}' |
		sp-write content services/content >out
	[ "$(jq -r .path out)" = documentation/brand-new.md ]
	run head -3 services/content/documentation/brand-new.md
	assert_output $'---\ntitle: New\nslug: brand-new'
}

@test "sp-write: removed diff records are kept without --delete and deleted with it" {
	sp-scan content services/content >disk
	jq -c 'select(.data.slug != "privacy")' disk >db
	sp-diff db disk >d || true
	run --separate-stderr sp-write content services/content d
	assert_success
	assert_output ""
	[[ "$stderr" == *"kept privacy"*"1 removed pages kept; use --delete"* ]] || fail "$stderr"
	[ -f services/content/legal/privacy.md ]
	run sp-write -n --delete content services/content d
	assert_output '{"type":"file","path":"legal/privacy.md","action":"deleted","dry_run":true}'
	[ -f services/content/legal/privacy.md ]
	run sp-write --delete content services/content d
	assert_output '{"type":"file","path":"legal/privacy.md","action":"deleted"}'
	[ ! -e services/content/legal/privacy.md ]
	sp-scan skills services/skills >sk
	jq -c 'select(.data.skill_id != "writer")' sk >skdb
	sp-diff skdb sk | sp-write --delete skills services/skills >out || true
	[ "$(jq -r .path out | paste -sd,)" = "writer/config.yml,writer/index.md" ]
	[ ! -e services/skills/writer ]
}

@test "sp-write: a directory it cannot write exits 73 and leaves nothing half-written" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to switch users"
	d=$(public_tmp)
	sp-scan content services/content >"$d/a"
	chmod 644 "$d/a"
	mkdir "$d/ro" && chmod 555 "$d/ro"
	run as_nobody sp-write content "$d/ro" "$d/a"
	[ "$status" -eq 73 ]
	[ -z "$(find "$d/ro" -mindepth 1)" ]
	rm -rf "$d"
}

@test "sp-write: bad input is refused with file:line" {
	printf '{"type":"row","table":"content","data":{"id":"x","source_id":"blog","slug":"../etc"}}\n' >bad
	run --separate-stderr sp-write -p content out bad
	[ "$status" -eq 65 ]
	assert_equal "$stderr" "sp-write: bad:1: row has no valid source_id and slug"
	printf '{"type":"row","table":"content","data":{"id":"x","source_id":"blog","slug":"s","metadata":{"title":"t"}}}\n' >bad
	run --separate-stderr sp-write -p content out bad
	[ "$status" -eq 65 ]
	assert_equal "$stderr" 'sp-write: bad:1: metadata key "title" is also a column field'
	printf '{"type":"row","table":"agent_skills","data":{"skill_id":"a","name":"A","metadata":{"file":"../../x.md"}}}\n' >bad
	run --separate-stderr sp-write -p skills out bad
	[ "$status" -eq 65 ]
	assert_equal "$stderr" 'sp-write: bad:1: metadata.file: ".." path component'
	[ ! -e out/a ]
	printf 'not json\n' >bad
	run sp-write -p skills out bad
	[ "$status" -eq 65 ]
	run sp-write pages out bad
	[ "$status" -eq 2 ]
}

@test "sp-write: the frontmatter is valid YAML for another parser too" {
	python3 -c 'import yaml' 2>/dev/null || skip "no PyYAML"
	sp-scan content services/content >a
	sp-write -p content copy a >/dev/null
	python3 - copy/blog/2024/hello-world.md <<'PY'
import sys, yaml
text = open(sys.argv[1], encoding="utf-8").read()
fm = yaml.safe_load(text.split("---\n")[1])
assert fm["related_docs"][1]["url"] == "/legal/privacy", fm
assert fm["tags"] == ["intro", "news"], fm
PY
}

@test "sp-write content: a row's file_path places the page, and moves one that is elsewhere" {
	mkdir -p out/blog
	printf -- '---\nslug: p\ntitle: Old place\n---\nx\n' >out/blog/p.md
	sp-scan content out >rows
	jq -c '.data.file_path = "blog/2024/deep/p.md" | .data.title = "New place"' rows >moved
	run --separate-stderr sp-write content out moved
	assert_success
	[ ! -e out/blog/p.md ]
	grep -qx 'title: New place' out/blog/2024/deep/p.md
	run jq -r '"\(.action) \(.path)"' <<<"$output"
	assert_output "$(printf 'created blog/2024/deep/p.md\ndeleted blog/p.md')"
	# and back: scanning gives the file_path written
	sp-scan content out >back
	assert_equal "$(jq -r .data.file_path back)" blog/2024/deep/p.md
	# an unsafe file_path is not used: the page stays where it is
	jq -c '.data.file_path = "../../etc/p.md" | .data.title = "Three"' back >bad
	sp-write content out bad >/dev/null
	grep -qx 'title: Three' out/blog/2024/deep/p.md
}

@test "sp-write skills: a skill found in another directory moves where its row puts it" {
	mkfile s/renamed/config.yaml $'id: a\nname: A\n'
	mkfile s/renamed/SKILL.md "# A"$'\n'
	mkfile s/renamed/assets/logo.txt "kept with it"
	sp-scan skills s >rows
	# the database still has it at a/ (it was renamed on disk since)
	jq -c '.data.file_path = "a/config.yaml" | .data.description = "moved back"' rows >db
	run --separate-stderr sp-write skills s db
	assert_success
	assert_line --index 0 '{"type":"file","path":"renamed","action":"moved","to":"a"}'
	[ ! -e s/renamed ] && [ "$(cat s/a/assets/logo.txt)" = "kept with it" ]
	run sp-scan skills s
	assert_success
	[ "$(jq -r .data.file_path <<<"$output")" = a/config.yaml ]
	# another directory in the way: refused, nothing changed
	mkfile s/b/other.txt x
	jq -c '.data.file_path = "b/config.yaml"' db >db2
	run --separate-stderr sp-write skills s db2
	[ "$status" -eq 65 ]
	[[ "$stderr" == *'skill "a" is in s/a, and s/b, where the row puts it, is taken'* ]] || fail "$stderr"
	[ -f s/a/config.yaml ]
	# config.yml on disk, config.yaml in the row: one config afterwards
	mkfile s/c/config.yml $'id: c\nname: C\n'
	mkfile s/c/SKILL.md x
	sp-scan skills s | jq -c 'select(.data.skill_id == "c") | .data.file_path = "c/config.yaml"' >db3
	sp-write skills s db3 >/dev/null
	[ -f s/c/config.yaml ] && [ ! -e s/c/config.yml ]
	sp-scan skills s >/dev/null
	# removal acts where the skill is
	sp-scan skills s | jq -c 'select(.data.skill_id == "a") | {type: "diff", status: "removed",
	  record: (. | .data.file_path = "elsewhere/config.yaml")}' >gone
	sp-write --delete skills s gone >/dev/null
	[ ! -e s/a/config.yaml ] && [ ! -e s/a/SKILL.md ]
}

@test "sp-write content: pages that swap places both survive; file_path stays in its source; removal acts on the key's page" {
	mkdir -p out/blog out/docs
	printf -- '---\nslug: a\ntitle: A\n---\nA\n' >out/blog/a.md
	printf -- '---\nslug: b\ntitle: B\n---\nB\n' >out/blog/b.md
	printf -- '---\nslug: d\ntitle: D\n---\nD\n' >out/docs/d.md
	sp-scan content out >rows
	jq -c 'select(.data.source_id == "blog") | .data.file_path |= (if . == "blog/a.md" then "blog/b.md" else "blog/a.md" end)' rows >swapped
	sp-write content out swapped >/dev/null
	grep -qx 'title: B' out/blog/a.md && grep -qx 'title: A' out/blog/b.md
	# a file_path in another source's directory is not used
	sp-scan content out >rows
	jq -c 'select(.data.slug == "a") | .data.file_path = "docs/d.md" | .data.title = "A2"' rows >cross
	sp-write content out cross >/dev/null
	grep -qx 'title: D' out/docs/d.md && grep -qx 'title: A2' out/blog/b.md
	# removing a deletes the page that holds a, whatever file_path says
	jq -c 'select(.data.slug == "a") | {type: "diff", status: "removed", record: (.data.file_path = "blog/a.md")}' rows >gone
	run sp-write --delete content out gone
	assert_output '{"type":"file","path":"blog/b.md","action":"deleted"}'
	[ -f out/blog/a.md ] && [ ! -e out/blog/b.md ]
	# and a removal whose key has no page deletes nothing
	run sp-write --delete content out gone
	assert_output ''
	[ -f out/blog/a.md ]
}

@test "sp-write skills: removing a skill found elsewhere removes the files it has there" {
	mkfile s/renamed/config.yml $'id: a\nname: A\n'
	mkfile s/renamed/SKILL.md "# A"$'\n'
	mkfile s/b/config.yaml $'id: b\nname: B\n'
	mkfile s/b/SKILL.md x
	sp-scan skills s | jq -c 'select(.data.skill_id == "a") | {type: "diff", status: "removed", record: (.data.file_path = "a/config.yaml")}' >gone
	sp-write --delete skills s gone >/dev/null
	[ ! -e s/renamed/config.yml ] && [ ! -e s/renamed/SKILL.md ]
	run sp-scan skills s
	assert_success
	[ "$(jq -r .data.skill_id <<<"$output")" = b ]
}
