#!/usr/bin/env bats
# Hostile local trees (issue 15, items 11 and 12): names that are not
# UTF-8 or hold control characters, symlinks planted in the destination,
# a destination that does not exist.

load helper
load local_fixtures

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
	services_tree services
}

# tree_sum DIR: every path, type, link target and content hash below DIR.
tree_sum() {
	(cd "$1" && find . -printf '%p %y %l\n' | sort && find . -type f -exec sha256sum {} + | sort)
}

# raw_ctl FILE: true when FILE holds a raw C0 control byte other than \n.
raw_ctl() { LC_ALL=C grep -q "$(printf '[\001-\011\013-\037\177]')" "$1"; }

@test "sp-scan content: a page whose name is not UTF-8 is refused naming it, no crash" {
	mkfile "services/content/blog/$(printf 'caf\351').md" '---
title: Café
slug: cafe
kind: blog
---
x
'
	run --separate-stderr sp-scan content services/content
	assert_failure 65
	assert_equal "$stderr" 'sp-scan: services/content/blog/caf\xe9.md: file name is not valid UTF-8; rename it'
}

@test "sp-scan content: a directory whose name is not UTF-8 names the page below it" {
	mkfile "services/content/blog/$(printf 'dir\377')/p.md" '---
title: P
slug: p
kind: blog
---
x
'
	run --separate-stderr sp-scan content services/content
	assert_failure 65
	[[ "$stderr" == *'services/content/blog/dir\xff/p.md: file name is not valid UTF-8'* ]] || fail "$stderr"
}

@test "sp-scan skills: a skill directory whose name is not UTF-8 is refused naming it" {
	d="services/skills/$(printf 'sk\377')"
	mkfile "$d/config.yaml" 'name: Broken
'
	mkfile "$d/index.md" 'body
'
	run --separate-stderr sp-scan skills services/skills
	assert_failure 65
	assert_equal "$stderr" 'sp-scan: services/skills/sk\xff: directory name is not valid UTF-8; rename it'
	# none of the rows has a null skill_id
	[ "$(jq -s 'map(select(.data.skill_id == null)) | length' <<<"$output")" = 0 ]
}

@test "names with control characters never reach stderr raw" {
	mkdir -p "services/skills/$(printf 'evil\033[2J\033]0;pwned\007')"
	mkfile "services/content/blog/$(printf 'p\033[31m').md" '---
title: P
slug: p2
kind: blog
---
x
'
	sp-scan skills services/skills >/dev/null 2>skills.err
	grep -q 'evil\\x1b\[2J\\x1b\]0;pwned\\x07: not a skill' skills.err
	! raw_ctl skills.err
	run sp-scan content services/content
	assert_failure 65
	sp-scan content services/content >/dev/null 2>content.err || true
	grep -q 'p\\x1b\[31m.md: file name holds a control character' content.err
	! raw_ctl content.err
}

@test "sp-write: a directory symlink in the destination is not followed, the target untouched" {
	mkdir -p out/content outside
	cp services/content/config.yaml out/content/
	echo keep >outside/old.md
	ln -s ../../outside out/content/blog
	before=$(tree_sum outside)
	sp-scan content services/content >rows
	run --separate-stderr sp-write content out/content rows
	assert_failure 73
	[[ "$stderr" == *"out/content/blog/"*": a symlink on the way; refusing to write through it"* ]] || fail "$stderr"
	assert_equal "$(tree_sum outside)" "$before"
	[ -z "$(find outside -name '.*sp-tmp*')" ]
	# --delete does not reach through the link: no page is found there
	jq -c '{type:"diff", status:"removed", record:.}' rows >removed
	run --separate-stderr sp-write --delete content out/content removed
	assert_equal "$(tree_sum outside)" "$before"
}

@test "sp-write: a symlink deeper in the tree is refused, a symlinked file is not replaced" {
	mkdir -p out/content/documentation outside
	cp services/content/config.yaml out/content/
	sp-scan content services/content >rows
	sp-write content out/content rows >/dev/null
	rm -rf out/content/documentation/deep/nested
	ln -s ../../../../outside out/content/documentation/deep/nested
	jq -c 'select(.data.file_path | test("deep/nested/")) | .data.body = "changed\n"' rows >guides
	[ -s guides ]
	run --separate-stderr sp-write content out/content guides
	assert_failure 73
	[ -z "$(ls -A outside)" ]
	# a page that is itself a symlink is neither followed nor replaced
	page=$(jq -r 'select(.data.slug=="hello-world") | .data.file_path' rows)
	[ -n "$page" ]
	echo secret >outside/target
	ln -sf "$PWD/outside/target" "out/content/${page}"
	jq -c 'select(.data.slug=="hello-world") | .data.body = "new\n"' rows >one
	run --separate-stderr sp-write content out/content one
	assert_failure 73
	[[ "$stderr" == *"exists and is not a regular file"* ]] || fail "$stderr"
	assert_equal "$(cat outside/target)" secret
}

@test "sp-write skills: a skill whose instruction file is a symlink is left whole, nothing written" {
	sp-scan skills services/skills >rows
	sp-write -p skills out rows >/dev/null
	echo secret >target
	ln -sf "$PWD/target" out/code-review/SKILL.md
	before=$(tree_sum out)
	jq -c 'select(.data.skill_id=="code-review") | .data.description = "changed" | .data.instructions = "new\n"' rows >one
	run --separate-stderr sp-write skills out one
	assert_failure 73
	[[ "$stderr" == *"out/code-review/SKILL.md: exists and is not a regular file"* ]] || fail "$stderr"
	# config.yaml not rewritten either: the skill's files land together or not at all
	assert_equal "$(tree_sum out)" "$before"
	assert_equal "$(cat target)" secret
	[ -z "$(find out -name '.*sp-tmp*')" ]
}

@test "sp-write: a missing DIR is refused with 66 and not created; -p creates it" {
	sp-scan skills services/skills >rows
	run --separate-stderr sp-write skills nope/a/b rows
	assert_failure 66
	assert_equal "$stderr" "sp-write: nope/a/b: No such file or directory (-p creates it)"
	[ ! -e nope ]
	run sp-write -n -p skills nope/a/b rows
	assert_success
	[ ! -e nope ]
	[ "$(jq -s length <<<"$output")" -gt 0 ]
	run sp-write -p skills nope/a/b rows
	assert_success
	diff <(sp-scan skills nope/a/b | jq -cS .data.content_hash | sort) <(jq -cS .data.content_hash rows | sort)
}
