#!/usr/bin/env bats
# sp-scan: skills and content trees -> row records.

load helper
load local_fixtures

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
	services_tree services
}

@test "sp-scan skills: one row per skill directory with a config, in directory order" {
	run --separate-stderr sp-scan skills services/skills
	assert_success
	[ "$(jq -r .data.skill_id <<<"$output" | paste -sd,)" = "code-review,writer,translator" ]
	[ "$(jq -r .table <<<"$output" | sort -u)" = agent_skills ]
	[ "$(jq -r .data.file_path <<<"$output" | paste -sd,)" = "code-review/config.yaml,writer/config.yml,übersetzer/config.yaml" ]
}

@test "sp-scan skills: columns, YAML types kept in metadata, instructions without frontmatter" {
	sp-scan skills services/skills | jq -c 'select(.data.skill_id=="code-review") | .data' >r
	run jq -r '[.name, .description, .enabled, (.tags|join("+")), .category_id] | @tsv' r
	assert_output $'Code review\tReview a change: correctness, tests, style\ttrue\treview+quality\tengineering'
	run jq -c '.metadata | del(.instructions_frontmatter)' r
	assert_output '{"file":"SKILL.md","priority":3,"weight":0.75,"experimental":false,"inputs":[{"name":"diff","required":true},{"name":"context","required":false}],"limits":{"max_files":50,"languages":["c","sh"]}}'
	run jq -c '.metadata.instructions_frontmatter' r
	assert_output '{"name":"code-review","allowed-tools":["Read","Grep"]}'
	run jq -r .instructions r
	assert_output $'# Code review\n\n1. Read the diff.\n2. Say what is wrong.'
}

@test "sp-scan skills: config.yml, index.md, CRLF to LF, defaults, unicode" {
	sp-scan skills services/skills >rows
	run jq -c 'select(.data.skill_id=="writer") | .data | [.instructions, .enabled, .tags, .category_id, .metadata]' rows
	assert_output '["# Writer\n\nWrite clearly.\n",true,["writing"],null,{"instructions_file":"index.md"}]'
	run jq -r 'select(.data.skill_id=="translator") | .data | "\(.name)|\(.enabled)|\(.instructions)"' rows
	assert_output "Übersetzer — 翻訳|false|Übersetze ins Deutsche. 日本語も。"
}

@test "sp-scan: ids are UUIDv5 of the natural key in the documented namespace" {
	run sp-scan skills services/skills
	[ "$(jq -r 'select(.data.skill_id=="code-review") | .data.id' <<<"$output")" = "$(uuid5 code-review)" ]
	run sp-scan content services/content
	[ "$(jq -r 'select(.data.slug=="hello-world") | .data.id' <<<"$output")" = "$(uuid5 blog/hello-world)" ]
	[ "$(jq -r 'select(.data.slug=="getting-started") | .data.id' <<<"$output")" = "$(uuid5 docs/getting-started)" ]
}

@test "sp-scan: content_hash equals an independent computation over the synced fields" {
	sp-scan skills services/skills >rows
	sp-scan content services/content >>rows
	diff <(jq -r .data.content_hash rows) <(canon_hash <rows)
	[ "$(jq -r .data.content_hash rows | sort -u | wc -l)" -eq "$(wc -l <rows)" ]
}

@test "sp-scan content: sources from config.yaml, nested files, disabled source skipped" {
	run --separate-stderr sp-scan content services/content
	assert_success
	run jq -r '"\(.data.source_id) \(.data.slug) \(.path) \(.data.category_id)"' <<<"$output"
	assert_output "blog hello-world blog/2024/hello-world.md articles
blog unicode blog/2024/unicode.md articles
blog guide blog/guide/index.md articles
docs page documentation/deep/nested/page.md reference
docs getting-started documentation/getting-started.md docs
legal privacy legal/privacy.md null"
}

@test "sp-scan content: frontmatter columns, metadata lists and maps, normalised dates" {
	sp-scan content services/content | jq -c 'select(.data.slug=="hello-world") | .data' >r
	run jq -r '[.title, .description, .author, .kind, .public, (.tags|join("+")), .keywords, .image, .published_at] | @tsv' r
	assert_output $'Hello, world\tThe first post\tAnn Example\tblog\ttrue\tintro+news\thello, world\t/files/images/hello.png\t2024-01-15T00:00:00Z'
	run jq -c .metadata r
	assert_output '{"updated_at":"2024-02-01","after_reading_this":["You know what this blog is about","You can subscribe"],"related_docs":[{"title":"Getting started","url":"/docs/getting-started"},{"title":"Privacy","url":"/legal/privacy"}]}'
	run jq -r .body r
	assert_output $'\n# Hello\n\nWelcome.'
}

@test "sp-scan content: BOM, CRLF and a time zone offset; a page without frontmatter" {
	sp-scan content services/content >rows
	run jq -c 'select(.data.slug=="unicode") | .data | [.title, .tags, .published_at, .body]' rows
	assert_output '["Ünïcödé — 日本語のタイトル",["ümlaut","日本"],"2024-03-01T08:30:00Z","\nKörper mit Umlauten.\nZweite Zeile.\n"]'
	run jq -c 'select(.data.slug=="getting-started") | .data | [.title, .public, .tags, .metadata, .body]' rows
	assert_output '[null,true,[],{},"# Getting started\n\nThis page has no frontmatter.\n"]'
	run jq -c 'select(.data.slug=="guide") | .data.public' rows
	assert_output false
}

@test "sp-scan: a config.yaml that starts with a UTF-8 BOM reads like one without" {
	sp-scan skills services/skills >before
	sp-scan content services/content >cbefore
	for f in services/skills/*/config.y*ml services/content/config.yaml; do
		{ printf '\xef\xbb\xbf'; cat "$f"; } >"$f.new" && mv "$f.new" "$f"
	done
	head -c 3 services/content/config.yaml | od -An -tx1 | grep -q 'ef bb bf'
	sp-scan skills services/skills >after
	sp-scan content services/content >cafter
	cmp before after
	cmp cbefore cafter
}

@test "sp-scan content: without config.yaml every subdirectory is a source" {
	rm services/content/config.yaml
	run sp-scan content services/content
	assert_success
	run jq -r '.data.source_id' <<<"$output"
	assert_output "$(printf '%s\n' blog blog blog documentation documentation drafts legal)"
}

@test "sp-scan: invalid YAML names file:line:column and exits 65" {
	mkfile services/content/legal/broken.md $'---\ntitle: ok\ntags: [a, b\nauthor: x\n---\nbody\n'
	run --separate-stderr sp-scan content services/content
	[ "$status" -eq 65 ]
	[[ "$stderr" == "sp-scan: services/content/legal/broken.md:"[0-9]*:[0-9]*": "* ]] || fail "$stderr"
	mkfile services/skills/code-review/config.yaml $'name: x\n  bad: indentation\n'
	run --separate-stderr sp-scan skills services/skills
	[ "$status" -eq 65 ]
	assert_equal "${stderr%%: mapping*}" "sp-scan: services/skills/code-review/config.yaml:2:6"
}

@test "sp-scan: a field of the wrong type, a bad slug or date is located" {
	mkfile services/content/legal/t.md $'---\ntitle: t\ntags: just-a-string\n---\n'
	run --separate-stderr sp-scan content services/content
	[ "$status" -eq 65 ]
	assert_equal "$stderr" "sp-scan: services/content/legal/t.md:3:7: tags: expected a list"
	# keywords is a text column: a list is refused, not flattened (README, Known limits)
	mkfile services/content/legal/t.md $'---\nkeywords: [a, b]\n---\n'
	run --separate-stderr sp-scan content services/content
	[ "$status" -eq 65 ]
	[[ "$stderr" == *"t.md:2:"*"keywords"* ]] || fail "$stderr"
	mkfile services/content/legal/t.md $'---\nslug: "no spaces allowed"\n---\n'
	run --separate-stderr sp-scan content services/content
	[ "$status" -eq 65 ]
	[[ "$stderr" == *"t.md:2:7: slug:"*"not a valid slug"* ]] || fail "$stderr"
	mkfile services/content/legal/t.md $'---\nslug: "nbsp\xc2\xa0inside"\n---\n'
	run --separate-stderr sp-scan content services/content
	[ "$status" -eq 65 ]
	# non-ASCII letters are letters: from the file name and from the frontmatter
	rm services/content/legal/t.md
	mkfile services/content/legal/caf$'\xc3\xa9'.md $'---\ntitle: t\n---\n'
	mkfile services/content/legal/u.md $'---\nslug: "\xe6\x97\xa5\xe6\x9c\xac/stra\xc3\x9fe"\n---\n'
	run --separate-stderr sp-scan content services/content
	assert_success
	run jq -r 'select(.data.source_id == "legal") | .data.slug' <<<"$output"
	assert_line "caf"$'\xc3\xa9'
	assert_line $'\xe6\x97\xa5\xe6\x9c\xac/stra\xc3\x9fe'
	rm services/content/legal/caf$'\xc3\xa9'.md services/content/legal/u.md
	mkfile services/content/legal/t.md $'---\npublished_at: 2024-02-30\n---\n'
	run --separate-stderr sp-scan content services/content
	[ "$status" -eq 65 ]
	[[ "$stderr" == *"t.md:2:15: published_at: expected a date"* ]] || fail "$stderr"
	mkfile services/content/legal/t.md $'---\na: 1\na: 2\n---\n'
	run --separate-stderr sp-scan content services/content
	[ "$status" -eq 65 ]
	[[ "$stderr" == *"t.md:3:1: duplicate key \"a\""* ]] || fail "$stderr"
}

@test "sp-scan: a duplicate slug in one source names both files" {
	mkfile services/content/blog/other/hello.md $'---\nslug: hello-world\nkind: blog\n---\n'
	run --separate-stderr sp-scan content services/content
	[ "$status" -eq 65 ]
	[[ "$stderr" == *"blog/other/hello.md"*"hello-world"*"services/content/blog/2024/hello-world.md"* ]] || fail "$stderr"
	# the same slug in another source is fine
	rm services/content/blog/other/hello.md
	mkfile services/content/legal/hello-world.md 'x'
	run sp-scan content services/content
	assert_success
}

@test "sp-scan skills: a missing instruction file, a duplicate id" {
	rm services/skills/code-review/SKILL.md
	run --separate-stderr sp-scan skills services/skills
	[ "$status" -eq 65 ]
	[[ "$stderr" == *"services/skills/code-review/SKILL.md: instruction file: No such file"* ]] || fail "$stderr"
	mkfile services/skills/empty/config.yaml 'name: e'
	rm -r services/skills/code-review
	run --separate-stderr sp-scan skills services/skills
	[ "$status" -eq 65 ]
	assert_equal "$stderr" "sp-scan: services/skills/empty: no instruction file (index.md or SKILL.md)"
	rm -r services/skills/empty
	mkfile services/skills/zz/config.yaml 'id: writer'
	mkfile services/skills/zz/SKILL.md 'x'
	run --separate-stderr sp-scan skills services/skills
	[ "$status" -eq 65 ]
	[[ "$stderr" == *'zz: skill id "writer" is already used by services/skills/writer'* ]] || fail "$stderr"
}

@test "sp-scan --keep-going reports bad files, emits error records and goes on" {
	mkfile services/content/legal/broken.md $'---\ntitle: [\n---\n'
	mkfile services/content/blog/dup.md $'---\nslug: unicode\nkind: blog\n---\n'
	run --separate-stderr sp-scan -k content services/content
	assert_success
	[ "$(jq -r 'select(.type=="row") | .data.slug' <<<"$output" | wc -l)" -eq 6 ]
	[ "$(jq -r 'select(.type=="error") | .code' <<<"$output" | paste -sd,)" = "65,65" ]
	[[ "$stderr" == *dup.md*broken.md*"2 pages skipped"* ]] || fail "$stderr"
}

@test "sp-scan --filter keeps matching skill ids, sources and slugs" {
	run sp-scan --filter 'code-*' --filter translator skills services/skills
	assert_equal "$(jq -r .data.skill_id <<<"$output" | paste -sd,)" "code-review,translator"
	run sp-scan -f docs content services/content
	assert_equal "$(jq -r .data.slug <<<"$output" | paste -sd,)" "page,getting-started"
	run sp-scan -f 'blog/h*' content services/content
	assert_equal "$(jq -r .data.slug <<<"$output")" "hello-world"
}

@test "sp-scan: YAML anchors, tags, numbers and quoted scalars keep their types" {
	mkfile services/content/legal/types.md $'---\nbase: &b {x: 1}\nref: *b\nstr: !!str 12\nint: 0x1F\nneg: -7\nflt: 1.5e3\nq: "true"\nplain: yes\nnul: ~\nempty:\n---\n'
	run sp-scan content services/content
	assert_success
	run grep -o '"metadata":{"base".*"empty":null}' <<<"$output"
	assert_output '"metadata":{"base":{"x":1},"ref":{"x":1},"str":"12","int":31,"neg":-7,"flt":1500.0,"q":"true","plain":"yes","nul":null,"empty":null}'
}

@test "sp-scan: a missing directory exits 66, a bad kind 2, a full stdout 74" {
	run sp-scan skills nowhere
	[ "$status" -eq 66 ]
	run sp-scan pages services
	[ "$status" -eq 2 ]
	run sh -c 'sp-scan content services/content >/dev/full'
	[ "$status" -eq 74 ]
}

@test "sp-scan: dates and date-times normalise to RFC 3339 UTC; invalid ones are refused" {
	# the table of forms is tests/unit (tstamp: sp_tstamp_norm); here, that
	# sp-scan applies it to published_at, quoted or not, and where it refuses
	rm -r services/content/blog services/content/documentation
	mkfile services/content/legal/d1.md $'---\npublished_at: 2024-12-31T22:00:00-05:30\n---\n'
	mkfile services/content/legal/d2.md $'---\npublished_at: "2024-02-29"\n---\n'
	run --separate-stderr sp-scan content services/content
	assert_success
	assert_equal "$(jq -rc 'select(.data.slug | test("^d[0-9]")) | [.data.slug, .data.published_at]' <<<"$output" | sort)" \
		'["d1","2025-01-01T03:30:00Z"]
["d2","2024-02-29T00:00:00Z"]'
	mkfile services/content/legal/d3.md $'---\ntitle: x\npublished_at: 2023-02-29\n---\n'
	run --separate-stderr sp-scan content services/content
	assert_failure 65
	# (after the warnings for the two sources removed above)
	assert_equal "${stderr##*$'\n'}" "sp-scan: services/content/legal/d3.md:3:15: published_at: expected a date (YYYY-MM-DD) or an RFC 3339 date-time"
}

@test "sp-scan --sources lists the content sources with their settings" {
	run sp-scan --sources content services/content
	assert_success
	assert_output '{"type":"source","name":"blog","path":"blog","source_id":"blog","category_id":"articles","enabled":true,"exists":true,"dir":"services/content/blog","allowed_content_types":["blog"]}
{"type":"source","name":"documentation","path":"documentation","source_id":"docs","category_id":"docs","enabled":true,"exists":true,"dir":"services/content/documentation"}
{"type":"source","name":"legal","path":"legal","source_id":"legal","category_id":null,"enabled":true,"exists":true,"dir":"services/content/legal"}
{"type":"source","name":"drafts","path":"drafts","source_id":"drafts","category_id":null,"enabled":false,"exists":true,"dir":"services/content/drafts"}'
	run sp-scan --sources skills services/skills
	[ "$status" -eq 2 ]
	mkfile services/content/config.yaml $'content_sources:\n  x: {path: ../etc}\n'
	run --separate-stderr sp-scan --sources content services/content
	[ "$status" -eq 65 ]
	assert_equal "$stderr" 'sp-scan: services/content/config.yaml:2:13: content_sources.x.path: ".." path component'
}
