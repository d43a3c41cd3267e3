# sync.mk - Makefile-driven sync with sp. In your Makefile:
#
#	include /usr/local/share/sp/sync.mk
#
# then `make push` pushes whatever changed, and does nothing at all when
# nothing did: each push target depends on a fingerprint of what it
# pushes (the tree's manifest, the database's rows), which is rewritten
# only when its content changes.
#
#   push            push-files push-skills push-content push-database
#   pull            pull-files pull-database (each asks the cloud; cheap when unchanged)
#   push-KIND       one kind: files, skills, content (disk -> local database), database
#   pull-KIND       files, database (cloud -> local), skills, content (local database -> disk)
#   deploy          sp-sync all push, deploy included
#   sync-status     what a push and a pull would change (dry runs)
#
# Settings (override on the command line or before the include):
SP_SERVICES ?= services
SP_STATE ?= .sp
SP_SYNC ?= sp-sync
SP_SYNC_FLAGS ?=

SP_SYNC_RUN = SP_STATE_DIR=$(SP_STATE) $(SP_SYNC) -q -C $(SP_SERVICES) $(SP_SYNC_FLAGS)

# A fingerprint file is rewritten only when what it describes changed, so
# the push behind it runs only then. Modification times do not count:
# only paths, contents, modes and link targets.
SP_FP_UPDATE = if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv -f $@.tmp $@; fi
SP_TREE_FP = { [ ! -d $(2) ] || sp-collect $(2) | sp-manifest -C $(2) \
	--cache $(SP_STATE)/make/$(1).cache | jq -c '{path, path_b64, sha256, mode, link}'; }
# Without DATABASE_URL, sp-sync uses the embedded database (sp-env): so do we.
SP_DB_ENV = if [ -z "$${DATABASE_URL:-}" ]; then eval "$$(sp-env up $(SP_STATE))"; fi

$(SP_STATE)/make/files.fp: sp-sync-FORCE
	@mkdir -p $(@D)
	@$(call SP_TREE_FP,files,$(SP_SERVICES)) >$@.tmp
	@$(SP_FP_UPDATE)

$(SP_STATE)/make/skills.fp: sp-sync-FORCE
	@mkdir -p $(@D)
	@$(call SP_TREE_FP,skills,$(SP_SERVICES)/skills) >$@.tmp
	@$(SP_FP_UPDATE)

$(SP_STATE)/make/content.fp: sp-sync-FORCE
	@mkdir -p $(@D)
	@$(call SP_TREE_FP,content,$(SP_SERVICES)/content) >$@.tmp
	@$(SP_FP_UPDATE)

# The database push follows the local database: skills and content pushed
# to it come first, and its fingerprint is the rows themselves.
$(SP_STATE)/make/database.fp: $(SP_STATE)/make/skills.pushed $(SP_STATE)/make/content.pushed sp-sync-FORCE
	@mkdir -p $(@D)
	@$(SP_DB_ENV); sp-dbexport | sha256sum >$@.tmp
	@$(SP_FP_UPDATE)

$(SP_STATE)/make/%.pushed: $(SP_STATE)/make/%.fp
	$(SP_SYNC_RUN) $* push
	@touch $@

push-files: $(SP_STATE)/make/files.pushed
push-skills: $(SP_STATE)/make/skills.pushed
push-content: $(SP_STATE)/make/content.pushed
push-database: $(SP_STATE)/make/database.pushed
push: push-files push-skills push-content push-database

pull-files pull-database pull-skills pull-content: pull-%:
	$(SP_SYNC_RUN) $* pull
pull: pull-files pull-database

deploy:
	$(SP_SYNC_RUN) all push

sync-status:
	$(SP_SYNC_RUN) --dry-run all push
	$(SP_SYNC_RUN) --dry-run all pull

sp-sync-FORCE:

.PHONY: push pull deploy sync-status sp-sync-FORCE push-files push-skills push-content \
	push-database pull-files pull-database pull-skills pull-content
