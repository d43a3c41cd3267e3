# local_fixtures.bash - realistic skills and content trees for the
# sp-scan / sp-write / sp-diff / sp-local tests (load after helper).

# services_tree DIR: DIR/skills and DIR/content with several sources,
# nested directories, frontmatter with lists and maps, unicode, CRLF, a
# byte order mark, a page without frontmatter, config.yml and index.md.
services_tree() {
	local d=$1
	mkdir -p "$d"
	mkfile "$d/skills/code-review/config.yaml" 'id: code-review
name: Code review
description: "Review a change: correctness, tests, style"
enabled: true
file: SKILL.md
category: engineering
tags: [review, quality]
priority: 3
weight: 0.75
experimental: false
inputs:
  - name: diff
    required: true
  - name: context
    required: false
limits: {max_files: 50, languages: [c, sh]}
'
	mkfile "$d/skills/code-review/SKILL.md" '---
name: code-review
allowed-tools: [Read, Grep]
---
# Code review

1. Read the diff.
2. Say what is wrong.
'
	mkfile "$d/skills/writer/config.yml" "name: Writer
description: Writes prose
tags:
  - writing
"
	printf '# Writer\r\n\r\nWrite clearly.\r\n' >"$d/skills/writer/index.md"
	mkfile "$d/skills/übersetzer/config.yaml" 'id: translator
name: Übersetzer — 翻訳
enabled: false
'
	mkfile "$d/skills/übersetzer/SKILL.md" 'Übersetze ins Deutsche. 日本語も。
'

	mkfile "$d/content/config.yaml" 'content_sources:
  blog:
    path: content/blog
    source_id: blog
    category_id: articles
    enabled: true
    allowed_content_types: [blog]
  documentation:
    path: content/documentation
    source_id: docs
    category_id: docs
  legal:
    path: content/legal
    source_id: legal
  drafts:
    path: content/drafts
    source_id: drafts
    enabled: false
'
	mkfile "$d/content/blog/2024/hello-world.md" '---
title: Hello, world
slug: hello-world
description: The first post
author: Ann Example
kind: blog
public: true
tags: [intro, news]
keywords: "hello, world"
image: /files/images/hello.png
published_at: 2024-01-15
updated_at: 2024-02-01
after_reading_this:
  - You know what this blog is about
  - You can subscribe
related_docs:
  - title: Getting started
    url: /docs/getting-started
  - title: Privacy
    url: /legal/privacy
---

# Hello

Welcome.
'
	printf '\xef\xbb\xbf---\r\ntitle: "Ünïcödé — 日本語のタイトル"\r\nslug: unicode\r\nkind: blog\r\ntags: [ümlaut, 日本]\r\npublished_at: 2024-03-01T10:30:00+02:00\r\n---\r\n\r\nKörper mit Umlauten.\r\nZweite Zeile.\r\n' \
		>"$d/content/blog/2024/unicode.md"
	mkfile "$d/content/blog/guide/index.md" '---
title: A guide
kind: blog
public: false
---
Guide body.
'
	mkfile "$d/content/documentation/getting-started.md" '# Getting started

This page has no frontmatter.
'
	mkfile "$d/content/documentation/deep/nested/page.md" '---
title: Deep page
category: reference
sidebar: {order: 2, label: Deep}
---
Deep.
'
	mkfile "$d/content/legal/privacy.md" '---
title: Privacy policy
kind: legal
---
We keep nothing.
'
	mkfile "$d/content/drafts/wip.md" '---
title: Work in progress
---
'
}

# uuid5 NAME: the sp row id of NAME, computed by Python (an independent peer).
uuid5() {
	python3 -c 'import sys, uuid
ns = uuid.uuid5(uuid.NAMESPACE_URL, "urn:sp:rows")
print(uuid.uuid5(ns, sys.argv[1]))' "$1"
}

# canon_hash: read row records, print each content_hash recomputed by
# Python from the synced fields (sp(7)), one per line.
canon_hash() {
	python3 -c '
import sys, json, hashlib
synced = {
 "agent_skills": ["skill_id","name","description","instructions","enabled","tags","category_id","file_path","metadata"],
 "content": ["source_id","slug","title","description","author","kind","public","tags","keywords","image","category_id","published_at","body","metadata","file_path"],
}
for line in sys.stdin:
    r = json.loads(line)
    d = r["data"]
    c = {f: d.get(f) for f in synced[r["table"]]}
    if c["tags"] is None: c["tags"] = []
    if c["metadata"] is None: c["metadata"] = {}
    s = json.dumps(c, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    print(hashlib.sha256(s.encode()).hexdigest())
'
}
