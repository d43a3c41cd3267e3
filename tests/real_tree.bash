# real_tree.bash - a service tree shaped like the public systemprompt
# template and the trees made from it (written here, for sp's tests):
# content source paths relative to the services root, a documentation
# index page with the empty slug, blog pages as SLUG/index.md, kinds
# outside allowed_content_types, source keys sp does not use, and every
# skill layout upstream reads. Load after helper.

# real_tree DIR: DIR/{agents,config,content,mcp,profiles,skills,web}.
real_tree() {
	local d=$1
	mkdir -p "$d"
	mkfile "$d/config/config.yaml" 'settings:
  name: demo
includes:
  - ../agents/assistant.yaml
'
	mkfile "$d/agents/assistant.yaml" 'name: assistant
card:
  description: "Helps — in plain words"
skills: [inspect_agents, writing_style]
'
	mkfile "$d/mcp/servers.yaml" 'servers:
  - name: files
    command: ./files-server
'
	mkfile "$d/profiles/local/profile.yaml" 'name: local
paths:
  services: ./services
'
	mkfile "$d/web/templates/page.html" '<html><body>{{content}}</body></html>
'
	mkfile "$d/content/config.yaml" 'content_sources:
  blog:
    path: content/blog
    source_id: blog
    category_id: blog
    enabled: true
    description: Blog articles and announcements
    allowed_content_types:
    - blog
    branding:
      name: Blog
      keywords: blog, articles
    indexing:
      clear_before: false
      recursive: true
    sitemap:
      enabled: true
      url_pattern: /blog/{slug}
      priority: 0.8
      parent_route:
        enabled: true
        url: /blog
  documentation:
    path: content/documentation
    source_id: documentation
    category_id: documentation
    enabled: true
    description: Documentation and guides
    allowed_content_types:
    - guide
    - reference
    - tutorial
    - docs
  archive:
    path: content/archive
    source_id: archive
    category_id: blog
    enabled: false
categories:
  blog:
    name: Blog
    slug: blog
  documentation:
    name: Documentation
    slug: documentation
metadata:
  default_author: Author
  language: en
'
	mkfile "$d/content/blog/example-post/index.md" '---
title: "Example Blog Post"
description: "An example post. Replace it with your own."
slug: "example-post"
kind: "blog"
public: true
author: "Template Author"
published_at: "2025-01-01"
tags: ["example", "getting-started"]
category: "guide"
---

# Example Blog Post

Hello from the template.
'
	mkfile "$d/content/blog/zweiter-beitrag/index.md" '---
title: "Zweiter Beitrag — über Größen"
slug: "zweiter-beitrag"
kind: "blog"
public: true
author: "Jörg Ämter"
published_at: "2025-02-10"
tags: ["deutsch", "日本語"]
---

Straße, Maß und 日本語のテキスト.
'
	mkfile "$d/content/blog/a-guide-in-the-blog/index.md" '---
title: "Not a blog post"
slug: "a-guide-in-the-blog"
kind: "guide"
published_at: "2025-03-01"
---
This kind is not allowed in the blog source.
'
	mkfile "$d/content/documentation/index.md" '---
title: "Demo Documentation"
description: "Walkthroughs and the dashboard guide."
author: "systemprompt.io"
slug: ""
keywords: "demo, terminal, dashboard"
kind: "guide"
public: true
tags: ["documentation"]
published_at: "2026-02-18"
updated_at: "2026-04-14"
after_reading_this:
  - "Run the terminal demo end-to-end"
---

# Documentation

Start here.
'
	mkfile "$d/content/documentation/authentication.md" '---
title: "Authentication"
slug: "authentication"
kind: "reference"
author: "systemprompt.io"
published_at: "2026-02-18"
---
How to log in.
'
	mkfile "$d/content/documentation/demo-terminal-setup.md" '---
title: "Terminal setup"
slug: "demo-terminal-setup"
kind: "tutorial"
published_at: "2026-02-19"
links:
  - title: Dashboard
    url: /documentation/dashboard
---
Set up the terminal.
'
	mkfile "$d/content/documentation/changelog.md" '---
title: "Changelog"
slug: "changelog"
kind: "news"
published_at: "2026-02-20"
---
Not an allowed kind here.
'
	# skills: config.yaml + SKILL.md (the template's layout)
	mkfile "$d/skills/inspect_agents/config.yaml" 'id: inspect_agents
name: Inspect Agents
description: "Discover, validate, and message the agents"
enabled: true
file: SKILL.md
tags:
  - cli
  - agents
category: operations
'
	mkfile "$d/skills/inspect_agents/SKILL.md" '# Inspect Agents

List the agents, check their configuration, send one a message.
'
	# config.yml whose file: names SKILL.md, while only index.md is there
	mkfile "$d/skills/writing_style/config.yml" 'id: writing_style
name: Writing style
description: Plain words, short sentences
file: SKILL.md
tags: [writing]
'
	mkfile "$d/skills/writing_style/index.md" '# Writing style

Write plainly.
'
	# config.yaml without file:, both instruction files (index.md wins)
	mkfile "$d/skills/review_code/config.yaml" 'id: review_code
name: Review code
description: Review a change
'
	mkfile "$d/skills/review_code/index.md" 'Read the diff first.
'
	mkfile "$d/skills/review_code/SKILL.md" 'An older instruction file, not read.
'
	# config.yaml without file:, only SKILL.md
	mkfile "$d/skills/deploy_app/config.yaml" 'id: deploy_app
name: Deploy the app
description: Build, push, roll out
'
	mkfile "$d/skills/deploy_app/SKILL.md" 'Run the deploy.
'
	# the older layout: no config, an index.md with frontmatter
	mkfile "$d/skills/legacy-notes/index.md" '---
title: Legacy notes
slug: legacy_notes
description: Notes kept the old way
tags: [notes]
---

Keep notes short.
'
	# a directory with neither: not a skill (warned about)
	mkfile "$d/skills/scratch/README.md" 'just some notes'
	: >"$d/skills/.gitkeep"
}
