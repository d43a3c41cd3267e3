/* words.h - split a command line into an argument vector, without a shell. */
#ifndef SP_WORDS_H
#define SP_WORDS_H

#include <stddef.h>

/* Split s into words the way sh(1) quotes but expands nothing: blanks
 * (space, tab, newline) separate words, '...' keeps everything literally,
 * "..." keeps everything but a backslash before " \ $ or `, and a
 * backslash outside quotes keeps the next character. No $, `, *, ~ or ;
 * has any meaning. Returns a NULL-terminated vector (free with
 * sp_words_free), or NULL with the reason in err (an unterminated quote,
 * a trailing backslash, no word at all). Never dies. */
char **sp_words(const char *s, char *err, size_t errlen);

/* Free a vector from sp_words. */
void sp_words_free(char **v);

/* The vector as one line for messages: words joined by spaces, a word
 * with anything but [A-Za-z0-9_./:=@%+,-] single-quoted (malloc'd). */
char *sp_words_join(char *const v[]);

#endif
