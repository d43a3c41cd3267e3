/* place.h - where sp-write puts a row on disk: content pages by file_path,
 * existing page or default; skills as found on disk (moves, swaps). */
#ifndef SP_PLACE_H
#define SP_PLACE_H

#include <jansson.h>

#include "local/content.h"

struct sp_place {
	const char *dir;		/* the skills or content directory */
	const struct sp_sources *src;	/* content sources of dir */
	json_t *index;			/* content: "source_id/slug" -> page;
					 * skills: skill_id -> file_path */
	json_t *placed;			/* content: pages written in this run */
	json_t *layout;			/* content: source_id -> [flat, dirs] pages */
};

/* Start placing into dir (content: with its sources src, never NULL;
 * skills: NULL). */
void sp_place_init(struct sp_place *pl, const char *dir, const struct sp_sources *src);

/* Free what pl holds. */
void sp_place_free(struct sp_place *pl);

/* Where the content row rec (data) goes: its "file_path" when clean and
 * in its source's directory, else the page that holds its key, the
 * record's "path", else the layout its source already uses (SOURCE/SLUG.md
 * or SOURCE/SLUG/index.md; in a source without pages, the latter for a
 * source named "blog", as upstream writes it); malloc'd. *old (malloc'd) is the
 * page with the key elsewhere, which then moves (not one written in this
 * run: pages that swap places). To remove: the page that holds the key,
 * or NULL when none does. NULL with err when no place can be made up. */
char *sp_place_page(struct sp_place *pl, json_t *rec, json_t *data, int remove, char **old,
    char *err, size_t errlen);

/* The content row data is now at rel. */
void sp_place_page_done(struct sp_place *pl, json_t *data, const char *rel);

/* The file_path (DIR/config.yaml) of the skill with data's skill_id as
 * found below dir, or NULL. */
const char *sp_place_skill(struct sp_place *pl, json_t *data);

/* The skill with data's skill_id is now at file_path fp. */
void sp_place_skill_done(struct sp_place *pl, json_t *data, const char *fp);

#endif
