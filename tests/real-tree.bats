#!/usr/bin/env bats
# Real systemprompt service trees (tests/real_tree.bash, shaped like the
# public template): read as upstream reads them, never a silent zero, and
# a whole-tree round trip through the local database and sp-cloudd.

load helper
load local_fixtures
load real_tree

setup_file() {
	sp_env_up
}

teardown_file() {
	sp_env_down
}

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
	psql -X -q -v ON_ERROR_STOP=1 -d "$DATABASE_URL" -c 'truncate agent_skills, content' >/dev/null
	real_tree services
}

q() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$DATABASE_URL" -c "$1"; }

@test "real tree: content paths relative to the services root, the empty slug, allowed kinds" {
	run --separate-stderr sp-scan content services/content
	assert_success
	assert_equal "$(jq -r '"\(.path) \(.data.source_id)/\(.data.slug)"' <<<"$output")" \
"blog/example-post/index.md blog/example-post
blog/zweiter-beitrag/index.md blog/zweiter-beitrag
documentation/authentication.md documentation/authentication
documentation/demo-terminal-setup.md documentation/demo-terminal-setup
documentation/index.md documentation/"
	# the index page: keyed source_id/, from the file it came from
	assert_equal "$(jq -r 'select(.data.slug == "") | "\(.data.id) \(.data.file_path)"' <<<"$output")" \
		"$(uuid5 documentation/) documentation/index.md"
	# kinds outside allowed_content_types: skipped, each named, counted, with the config line
	assert_equal "$stderr" 'sp-scan: services/content/blog/a-guide-in-the-blog/index.md: skipped: kind "guide" is not in the allowed_content_types of source "blog" (services/content/config.yaml:3)
sp-scan: services/content/config.yaml:3: content source "blog": 1 page skipped (kind not in allowed_content_types)
sp-scan: services/content/documentation/changelog.md: skipped: kind "news" is not in the allowed_content_types of source "documentation" (services/content/config.yaml:24)
sp-scan: services/content/config.yaml:24: content source "documentation": 1 page skipped (kind not in allowed_content_types)'
	# content hashes agree with the independent Python computation
	assert_equal "$(jq -r .data.content_hash <<<"$output")" "$(canon_hash <<<"$output")"
	# a scan from inside the content directory reads the same
	run --separate-stderr bash -c 'cd services/content && sp-scan content . | jq -r .data.id'
	assert_equal "$output" "$(sp-scan content services/content 2>/dev/null | jq -r .data.id)"
}

@test "real tree: the other source keys are kept and shown, not refused" {
	run --separate-stderr sp-scan --sources content services/content
	assert_success
	assert_equal "$(jq -c 'select(.name == "blog") | [.path, .dir, .exists, .allowed_content_types, .branding.name, .sitemap.url_pattern, .indexing.recursive, .description]' <<<"$output")" \
		'["blog","services/content/blog",true,["blog"],"Blog","/blog/{slug}",true,"Blog articles and announcements"]'
	assert_equal "$(jq -c 'select(.name == "archive") | [.enabled, .exists]' <<<"$output")" '[false,false]'
}

@test "real tree: a configured source whose directory is missing is reported, and --delete refuses to wipe it" {
	sp-local content to-database >/dev/null 2>&1
	[ "$(q "select count(*) from content where source_id = 'documentation'")" -eq 3 ]
	mv services/content/documentation docs.away
	run --separate-stderr sp-scan content services/content
	assert_success
	[ "$(wc -l <<<"$output")" -eq 2 ]
	[[ "$stderr" == *'services/content/config.yaml:24: content source "documentation": directory services/content/documentation is missing (no pages read)'* ]] || fail "$stderr"
	# the result names it; without --delete nothing goes
	run --separate-stderr sp-local content to-database
	assert_success
	assert_equal "$(jq -c '.details.missing_sources' <<<"$output")" '[{"source_id":"documentation","dir":"./services/content/documentation"}]'
	[ "$(q "select count(*) from content where source_id = 'documentation'")" -eq 3 ]
	# with --delete: refused, exit 66, not one row removed
	run --separate-stderr sp-local content to-database --delete
	assert_failure 66
	[[ "$stderr" == *"content source documentation (./services/content/documentation): directory missing; with --delete every row of it would go"* ]] || fail "$stderr"
	assert_equal "$(jq -r .success <<<"$output")" false
	[ "$(q "select count(*) from content")" -eq 5 ]
	run --separate-stderr sp-sync content push --delete
	assert_failure 66
	[ "$(q "select count(*) from content")" -eq 5 ]
	# the directory back: nothing to do
	mv docs.away services/content/documentation
	run --separate-stderr sp-local content to-database --delete
	assert_success
	assert_equal "$(jq -c '[.items_synced, .items_deleted]' <<<"$output")" '[0,0]'
}

@test "real tree: source paths that escape, absolute paths, and sp's older reading" {
	cfg=services/content/config.yaml
	mkfile $cfg $'content_sources:\n  x:\n    path: ../etc\n'
	run --separate-stderr sp-scan content services/content
	assert_failure 65
	assert_equal "$stderr" 'sp-scan: services/content/config.yaml:3:11: content_sources.x.path: ".." path component'
	mkfile $cfg $'content_sources:\n  x:\n    path: /etc\n'
	run --separate-stderr sp-scan content services/content
	assert_failure 65
	[[ "$stderr" == *'config.yaml:3:11: content_sources.x.path: "/etc" is outside the services tree'* ]] || fail "$stderr"
	mkfile $cfg $'content_sources:\n  x:\n    path: agents\n'
	run --separate-stderr sp-scan content services/content
	assert_failure 65
	[[ "$stderr" == *'content_sources.x.path: "agents" (relative to the services root services) is outside the content directory services/content'* ]] || fail "$stderr"
	# absolute, inside the tree: taken
	mkfile $cfg "content_sources:
  blog: {path: $PWD/services/content/blog, source_id: blog}
"
	run --separate-stderr sp-scan content services/content
	assert_success
	[ "$(wc -l <<<"$output")" -eq 3 ]
	assert_equal "$stderr" ""
	# path relative to the content directory (sp's older reading): read, with a note
	mkfile $cfg $'content_sources:\n  blog: {path: blog}\n'
	run --separate-stderr sp-scan content services/content
	assert_success
	[ "$(wc -l <<<"$output")" -eq 3 ]
	assert_equal "$stderr" 'sp-scan: services/content/config.yaml:2: content source "blog": path "blog" read relative to the content directory services/content; upstream reads it relative to the services root services (write "content/blog")'
	# -C names another services root
	mkdir -p elsewhere
	mv services/content elsewhere/pages
	mkfile elsewhere/pages/config.yaml $'content_sources:\n  blog: {path: content/blog}\n'
	run --separate-stderr sp-scan -C elsewhere/pages/.. content elsewhere/pages
	assert_success
	[[ "$stderr" == *'directory elsewhere/pages/content/blog is missing'* ]] || fail "$stderr"
	mkfile elsewhere/pages/config.yaml $'content_sources:\n  blog: {path: pages/blog}\n'
	run --separate-stderr sp-scan -C elsewhere content elsewhere/pages
	assert_success
	[ "$(wc -l <<<"$output")" -eq 3 ]
}

@test "real tree: every skill layout upstream reads" {
	run --separate-stderr sp-scan skills services/skills
	assert_success
	assert_equal "$(jq -r '.data | "\(.skill_id) \(.name) \(.file_path) \(.metadata.instructions_file // "-")"' <<<"$output")" \
"deploy_app Deploy the app deploy_app/config.yaml -
inspect_agents Inspect Agents inspect_agents/config.yaml -
legacy_notes Legacy notes legacy-notes/index.md -
review_code Review code review_code/config.yaml index.md
writing_style Writing style writing_style/config.yml index.md"
	assert_equal "$(jq -r 'select(.data.skill_id == "review_code") | .data.instructions' <<<"$output")" "Read the diff first."
	assert_equal "$(jq -r 'select(.data.skill_id == "legacy_notes") | .data | "\(.description)|\(.tags | join(","))|\(.instructions)"' <<<"$output")" \
		"Notes kept the old way|notes|
Keep notes short."
	assert_equal "$(jq -r 'select(.data.skill_id == "legacy_notes") | .data.id' <<<"$output")" "$(uuid5 legacy_notes)"
	assert_equal "$stderr" 'sp-scan: services/skills/scratch: not a skill (no config.yaml, config.yml or index.md with frontmatter); skipped
sp-scan: services/skills/writing_style/config.yml:4:7: file: SKILL.md is missing; reading index.md'
	# an older-layout skill without a slug is named after its directory
	mkfile services/skills/plain/index.md $'---\ntitle: Plain\n---\nBody.\n'
	run --separate-stderr sp-scan -f plain skills services/skills
	assert_equal "$(jq -r '.data | "\(.skill_id) \(.name) \(.file_path)"' <<<"$output")" "plain Plain plain/index.md"
	# neither file there: the error names the file the config asks for
	rm services/skills/writing_style/index.md
	run --separate-stderr sp-scan skills services/skills
	assert_failure 65
	[[ "$stderr" == *"services/skills/writing_style/SKILL.md: instruction file: No such file"* ]] || fail "$stderr"
}

@test "real tree: scan -> write into a fresh tree -> scan: the same files, names and hashes" {
	sp-scan skills services/skills 2>/dev/null >skills.rows
	sp-scan content services/content 2>/dev/null >content.rows
	mkdir -p fresh/content
	cp services/content/config.yaml fresh/content/
	run --separate-stderr sp-write -p skills fresh/skills skills.rows
	assert_success
	assert_equal "$(jq -r .path <<<"$output" | sort)" "deploy_app/SKILL.md
deploy_app/config.yaml
inspect_agents/SKILL.md
inspect_agents/config.yaml
legacy-notes/index.md
review_code/config.yaml
review_code/index.md
writing_style/config.yml
writing_style/index.md"
	run --separate-stderr sp-write content fresh/content content.rows
	assert_success
	assert_equal "$(jq -r .path <<<"$output")" "$(jq -r .path content.rows)"
	diff <(sp-scan skills fresh/skills 2>/dev/null | jq -cS .) <(jq -cS . skills.rows)
	diff <(sp-scan content fresh/content 2>/dev/null | jq -cS .) <(jq -cS . content.rows)
}

@test "real tree: new pages take the layout their source uses; the index page goes to index.md" {
	jq -nc '{type:"row",table:"content",data:{source_id:"blog",slug:"new-post",title:"New",kind:"blog",body:"x\n"}},
	        {type:"row",table:"content",data:{source_id:"documentation",slug:"new-doc",title:"New",kind:"guide",body:"y\n"}},
	        {type:"row",table:"content",data:{source_id:"documentation",slug:"",title:"Docs",kind:"guide",body:"z\n"}}' >new
	run --separate-stderr sp-write content services/content new
	assert_success
	assert_equal "$(jq -r '"\(.path) \(.action)"' <<<"$output")" "blog/new-post/index.md created
documentation/new-doc.md created
documentation/index.md updated"
	grep -qx 'slug: ""' services/content/documentation/index.md || grep -qx "slug: ''" services/content/documentation/index.md
	# read back: keyed as before
	run --separate-stderr sp-scan content services/content
	assert_equal "$(jq -r 'select(.data.source_id == "documentation" and .data.slug == "") | .data.id' <<<"$output")" "$(uuid5 documentation/)"
}

@test "real tree: skills + content to the local database, all to sp-cloudd, wipe, all pull: tree and rows identical" {
	tables="agents users agent_skills contexts content"
	dump() {
		local t
		for t in $tables; do q "select row_to_json(x)::text from $t x order by id"; done
	}
	run --separate-stderr sp-sync skills push
	assert_success
	assert_equal "$(jq -c '[.operation, .items_synced]' <<<"$output")" '["skills_to_database",5]'
	run --separate-stderr sp-sync content push
	assert_success
	assert_equal "$(jq -c '[.operation, .items_synced]' <<<"$output")" '["content_to_database",5]'
	run --separate-stderr sp-sync all push
	assert_success
	assert_equal "$(jq -c 'select(.operation != "deploy") | [.operation, .success]' <<<"$output" | paste -sd' ')" \
		'["files_push",true] ["database_push",true]'
	dump >rows.before
	[ "$(wc -l <rows.before)" -eq 10 ]
	cp -a services tree.before
	# wipe both
	rm -rf services
	q "truncate $(echo "$tables" | tr ' ' ,) cascade"
	run --separate-stderr sp-sync all pull
	assert_success
	assert_equal "$(jq -c '[.operation, .success]' <<<"$output" | paste -sd' ')" \
		'["files_pull",true] ["database_pull",true]'
	diff -r tree.before services
	dump >rows.after
	diff rows.before rows.after
	# disk and database agree: nothing to do either way
	run --separate-stderr sp-sync skills pull
	assert_equal "$(jq -c '[.items_synced, .items_deleted]' <<<"$output")" '[0,0]'
	run --separate-stderr sp-sync content pull
	assert_equal "$(jq -c '[.items_synced, .items_deleted]' <<<"$output")" '[0,0]'
}
