#!/usr/bin/env bats
# sp-local: skills and content between disk and a real local PostgreSQL
# (sp-scan, sp-dbexport, sp-diff, sp-dbimport, sp-write composed).

load helper
load local_fixtures

setup_file() {
	command -v sp-dbimport >/dev/null || skip "sp-dbimport is not built yet"
	sp_env_up
}

teardown_file() {
	sp_env_down
}

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
	psql -X -q -v ON_ERROR_STOP=1 -d "$DATABASE_URL" -c 'truncate agent_skills, content' >/dev/null
	services_tree services
}

q() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$DATABASE_URL" -c "$1"; }

@test "sp-local skills to-database: rows with UUIDv5 ids, then nothing to do" {
	run --separate-stderr sp-local skills to-database
	assert_success
	assert_equal "$(jq -c '[.operation, .success, .items_synced, .details.diff.added]' <<<"$output")" '["skills_to_database",true,3,3]'
	assert_equal "$(q "select id from agent_skills where skill_id = 'code-review'")" "$(uuid5 code-review)"
	assert_equal "$(q "select name || '|' || enabled || '|' || array_to_string(tags, ',') from agent_skills where skill_id = 'translator'")" "Übersetzer — 翻訳|false|"
	assert_equal "$(q "select metadata->'limits'->>'max_files' from agent_skills where skill_id = 'code-review'")" 50
	run --separate-stderr sp-local skills to-database
	assert_success
	assert_equal "$(jq -c '[.items_synced, .items_skipped, .details.diff]' <<<"$output")" '[0,3,{"added":0,"removed":0,"modified":0,"unchanged":3}]'
	# to-disk counts the same way
	run --separate-stderr sp-local skills to-disk
	assert_equal "$(jq -c '[.items_synced, .items_skipped]' <<<"$output")" '[0,3]'
}

@test "disk -> database -> disk is lossless" {
	sp-local skills to-database >/dev/null
	sp-local content to-database >/dev/null
	[ "$(q 'select count(*) from content')" -eq 6 ]
	assert_equal "$(q "select metadata->'related_docs'->1->>'url' from content where slug = 'hello-world'")" /legal/privacy
	assert_equal "$(q "select published_at at time zone 'UTC' from content where slug = 'unicode'")" "2024-03-01 08:30:00"
	mkdir -p copy/content && cp services/content/config.yaml copy/content/
	run --separate-stderr sp-local skills to-disk -C copy
	assert_success
	run --separate-stderr sp-local content to-disk -C copy
	assert_success
	assert_equal "$(jq -c '[.operation, .items_synced, (.details.files|length)]' <<<"$output")" '["content_to_disk",6,6]'
	for k in skills content; do
		run --separate-stderr sp-diff <(sp-scan $k services/$k) <(sp-scan $k copy/$k)
		assert_success
		diff <(sp-scan $k services/$k | jq -cS . | sort) <(sp-scan $k copy/$k | jq -cS . | sort)
	done
	# nested directories and index.md pages come back where they were
	# (drafts is a disabled source: not synced)
	diff <(cd services/content && find . -name '*.md' ! -path './drafts/*' | sort) \
		<(cd copy/content && find . -name '*.md' | sort)
	[ -f copy/content/blog/guide/index.md ]
	# and the disk tree now matches the database exactly
	run --separate-stderr sp-local content to-disk -C copy
	assert_equal "$(jq -c '.details.diff' <<<"$output")" '{"added":0,"removed":0,"modified":0,"unchanged":6}'
	run --separate-stderr sp-local content to-database -C copy
	assert_equal "$(jq -c '.details.diff' <<<"$output")" '{"added":0,"removed":0,"modified":0,"unchanged":6}'
}

@test "a change in any single field on disk shows as one modified row and nothing else" {
	sp-local content to-database >/dev/null
	f=services/content/blog/2024/hello-world.md
	cp "$f" orig
	for edit in 's/^title: Hello, world/title: Hello, you/' 's/tags: \[intro, news\]/tags: [intro, news, more]/' \
		's/  - You can subscribe/  - You can unsubscribe/' 's/^Welcome\./Welcome!/' 's|url: /legal/privacy|url: /legal/privacy-v2|' \
		's/^public: true/public: false/' 's/^published_at: 2024-01-15/published_at: 2024-01-16/'; do
		sed "$edit" orig >"$f"
		! cmp -s orig "$f" || fail "edit $edit changed nothing"
		run --separate-stderr sp-local content to-database --dry-run
		assert_success
		assert_equal "$(jq -c '[.details.diff, .details.updated, .details.unchanged]' <<<"$output")" \
			'[{"added":0,"removed":0,"modified":1,"unchanged":5},1,0]'
	done
	[ "$(q "select title from content where slug = 'hello-world'")" = "Hello, world" ]
	sed 's/^title: Hello, world/title: Hello, you/' orig >"$f"
	run --separate-stderr sp-local content to-database
	assert_equal "$(jq -c '[.items_synced, .details.updated]' <<<"$output")" '[1,1]'
	[ "$(q "select title from content where slug = 'hello-world'")" = "Hello, you" ]
}

@test "a database edit (content_hash left stale) is written to exactly one file" {
	sp-local content to-database >/dev/null
	sp-local content to-disk >/dev/null	# canonical form on disk
	before=$(find services/content -type f -name '*.md' -printf '%p %i %T@\n' | sort)
	q "update content set metadata = metadata || '{\"reviewed\": true}' where slug = 'privacy'" >/dev/null
	run --separate-stderr sp-local content to-disk
	assert_success
	assert_equal "$(jq -c '[.items_synced, .details.files]' <<<"$output")" '[1,[{"path":"legal/privacy.md","action":"updated"}]]'
	grep -qx 'reviewed: true' services/content/legal/privacy.md
	after=$(find services/content -type f -name '*.md' -printf '%p %i %T@\n' | sort)
	[ "$(diff <(echo "$before") <(echo "$after") | grep -c '^>')" -eq 1 ]
}

@test "removals happen only with --delete, and are always reported" {
	sp-local skills to-database >/dev/null
	sp-local content to-database >/dev/null
	rm services/content/legal/privacy.md
	run --separate-stderr sp-local content to-database
	assert_success
	assert_equal "$(jq -c '[.details.removed, .items_deleted]' <<<"$output")" '[["legal/privacy"],0]'
	[[ "$stderr" == *"1 removed content kept (legal/privacy); --delete removes them"* ]] || fail "$stderr"
	[ "$(q "select count(*) from content where slug = 'privacy'")" -eq 1 ]
	run --separate-stderr sp-local content to-database --delete --dry-run
	assert_equal "$(jq -c '[.details.removed, .details.deleted, .details.dry_run]' <<<"$output")" '[["legal/privacy"],1,true]'
	[ "$(q "select count(*) from content where slug = 'privacy'")" -eq 1 ]
	run --separate-stderr sp-local content to-database --delete
	assert_equal "$(jq -c '.items_deleted' <<<"$output")" 1
	[ "$(q "select count(*) from content where slug = 'privacy'")" -eq 0 ]
	# the other way: a skill deleted in the database
	q "delete from agent_skills where skill_id = 'writer'" >/dev/null
	run --separate-stderr sp-local skills to-disk
	assert_equal "$(jq -c '[.details.removed, .items_deleted, .items_skipped]' <<<"$output")" '[["writer"],0,3]'
	[ -f services/skills/writer/config.yml ]
	run --separate-stderr sp-local skills to-disk --delete
	assert_equal "$(jq -c '[.items_deleted, [.details.files[].action]]' <<<"$output")" '[1,["deleted","deleted"]]'
	[ ! -e services/skills/writer ]
}

@test "--dry-run changes nothing in either direction" {
	run --separate-stderr sp-local content to-database -n
	assert_equal "$(jq -c '[.items_synced, .details.created, .details.dry_run]' <<<"$output")" '[6,6,true]'
	[ "$(q 'select count(*) from content')" -eq 0 ]
	sp-local content to-database >/dev/null
	q "update content set body = 'new body' where slug = 'guide'" >/dev/null
	sum=$(find services -type f -exec sha256sum {} + | sort)
	run --separate-stderr sp-local content to-disk --dry-run
	assert_equal "$(jq -c '[.items_synced, .details.files]' <<<"$output")" '[1,[{"path":"blog/guide/index.md","action":"updated"}]]'
	[ "$sum" = "$(find services -type f -exec sha256sum {} + | sort)" ]
}

@test "--filter limits both sides to matching sources, slugs or skill ids" {
	run --separate-stderr sp-local content to-database --filter docs
	assert_equal "$(jq -c '.details.diff' <<<"$output")" '{"added":2,"removed":0,"modified":0,"unchanged":0}'
	[ "$(q 'select string_agg(slug, $$,$$ order by slug) from content')" = "getting-started,page" ]
	rm services/content/legal/privacy.md
	run --separate-stderr sp-local content to-database --filter 'blog/*' --filter legal --delete
	assert_equal "$(jq -c '.details.diff' <<<"$output")" '{"added":3,"removed":0,"modified":0,"unchanged":0}'
	[ "$(q 'select count(*) from content')" -eq 5 ]
	run --separate-stderr sp-local skills to-database -f 'code-*'
	[ "$(q 'select string_agg(skill_id, $$,$$) from agent_skills')" = code-review ]
}

@test "a bad file stops the workflow with a failed result and the database untouched" {
	mkfile services/content/legal/broken.md $'---\ntitle: [unclosed\n---\n'
	run --separate-stderr sp-local content to-database
	[ "$status" -eq 65 ]
	assert_equal "$(jq -c '[.operation, .success]' <<<"$output")" '["content_to_database",false]'
	[[ "$(jq -r '.errors[0]' <<<"$output")" == *"broken.md:"* ]]
	[ "$(q 'select count(*) from content')" -eq 0 ]
	run sp-local pages to-database
	[ "$status" -eq 2 ]
	run sp-local skills sideways
	[ "$status" -eq 2 ]
}

@test "to-database: a missing tree is 66; a missing skills directory with --delete too" {
	run sp-local skills to-database -C typo --delete
	assert_failure 66
	assert_output --partial "typo: no such directory"
	mkdir empty
	run sp-local skills to-database -C empty --delete --dry-run
	assert_failure 66
	assert_output --partial "empty/skills: no such directory"
	run sp-local skills to-database -C empty
	assert_success
}

@test "sp-local: -h, shellcheck-clean" {
	run sp-local -h
	assert_success
	[[ "$output" == *"sp-local skills|content to-database"* ]]
	command -v shellcheck >/dev/null || skip "no shellcheck"
	shellcheck -x "$REPO/scripts/sp-local"
}

@test "rows of a disabled content source are left alone both ways" {
	sed -i 's/^    enabled: false$/    enabled: true/' services/content/config.yaml
	sp-local content to-database >/dev/null
	[ "$(q "select count(*) from content where source_id = 'drafts'")" -eq 1 ]
	sed -i '/source_id: drafts/{n;s/enabled: true/enabled: false/}' services/content/config.yaml
	grep -A1 'source_id: drafts' services/content/config.yaml | grep -q 'enabled: false'
	rm -r services/content/drafts
	run --separate-stderr sp-local content to-database --delete
	assert_success
	assert_equal "$(jq -c '[.details.diff, .items_deleted]' <<<"$output")" '[{"added":0,"removed":0,"modified":0,"unchanged":6},0]'
	[ "$(q "select count(*) from content where source_id = 'drafts'")" -eq 1 ]
	run --separate-stderr sp-local content to-disk
	assert_equal "$(jq -c '.details.diff' <<<"$output")" '{"added":0,"removed":0,"modified":0,"unchanged":6}'
	[ ! -e services/content/drafts ]
}
