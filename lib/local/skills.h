/* skills.h - skill directories on disk <-> agent_skills rows. */
#ifndef SP_SKILLS_H
#define SP_SKILLS_H

#include <stddef.h>
#include <jansson.h>

#include "local/scan.h"

/* Scan dir: one agent_skills row record per subdirectory holding a
 * config.yaml or config.yml, or (the older layout) an index.md with
 * frontmatter, in bytewise order of directory names (other directories
 * are skipped, named to cb->warn; dot directories quietly). Returns 0 when
 * the scan ran to the end (bad skills were reported through cb->bad),
 * else the SP_EX_* code with a message in err. */
int sp_skills_scan(const char *dir, const struct sp_scan_cb *cb, char *err, size_t errlen);

/* The row data for the skill in subdirectory sub of dir, or NULL with the
 * code in *code and "PATH:LINE:COLUMN: reason" in err. The instruction
 * file is the config's file: when it is there, else index.md, else
 * SKILL.md; a file: naming a missing file goes to cb->warn (cb may be
 * NULL). Without a config, sub/index.md's frontmatter is the config. */
json_t *sp_skill_read(const char *dir, const char *sub, const struct sp_scan_cb *cb, int *code,
    char *err, size_t errlen);

struct sp_out {
	char *rel;	/* path relative to the tree root */
	char *bytes;
	size_t len;
};

/* Render row data into the files of a skill below dir: out[0] the config
 * (config.yaml, or the name in file_path), out[1] the instruction file
 * (the one it was read from); a skill of the older layout (file_path
 * DIR/index.md) is out[0] alone, index.md with its fields as frontmatter,
 * and out[1].rel NULL. Returns 0, or -1 with a reason in err. Free with
 * sp_out_free. */
int sp_skill_render(const char *dir, json_t *data, struct sp_out out[2], char *err, size_t errlen);

/* Free the strings of n outputs. */
void sp_out_free(struct sp_out *out, size_t n);

#endif
