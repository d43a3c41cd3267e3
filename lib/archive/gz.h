/* gz.h - gzip streams on zlib: a strict reader and a parallel writer.
 * No function here calls sp_die (allocation failure aside). */
#ifndef SP_GZ_H
#define SP_GZ_H

#include <stddef.h>
#include <sys/types.h>

#include "core/hash.h"

struct sp_gzr;

/* The reader refuses output over sp_gz_max_ratio times the input read so
 * far, once past SP_GZ_RATIO_FREE bytes (0: no ratio limit). Set it once,
 * before any reader runs (sp-unpack, sp-cloudd --max-ratio). */
#define SP_GZ_MAX_RATIO 200L
#define SP_GZ_RATIO_FREE (64LL << 20)
extern long sp_gz_max_ratio;

/* Read gzip data from fd (not owned); at most limit bytes of compressed
 * input and limit bytes of output are accepted. */
struct sp_gzr *sp_gzr_new(int fd, long long limit);

/* The next block of decompressed bytes in *p: returns its length, 0 at
 * the end of the input (after the last member's CRC and length have been
 * checked), or -1 on an error: corrupt or truncated gzip data, trailing
 * bytes that are not another gzip member, the limit, or a read error
 * (sp_gzr_error says which and what exit status it deserves). */
ssize_t sp_gzr_read(struct sp_gzr *g, const void **p);

/* The reason for the last -1 and its exit status (65 bad data, 74 read
 * error). */
const char *sp_gzr_error(struct sp_gzr *g, int *code);

/* Decompressed bytes handed out so far. */
long long sp_gzr_total(struct sp_gzr *g);

/* Free the reader (the fd stays open). */
void sp_gzr_free(struct sp_gzr *g);

struct sp_gzw;

/* Write one standard gzip stream (RFC 1952, mtime 0, no name) to fd at
 * level 0-9, compressing 1 MiB chunks on threads worker threads. The
 * output depends only on the input and the level, never on threads. */
struct sp_gzw *sp_gzw_new(int fd, int level, int threads);

/* Compress n bytes; 0, or -1 with errno set after a write error. */
int sp_gzw_write(struct sp_gzw *w, const void *p, size_t n);

/* Finish the stream: the last chunk, the trailer. Returns 0 and sets the
 * SHA-256 hex (hex[SP_HEXLEN]) and size of the compressed bytes written,
 * or -1 with errno set. Frees w either way. */
int sp_gzw_close(struct sp_gzw *w, char *hex, long long *size);

/* Stop the workers and free w without finishing the stream. */
void sp_gzw_abort(struct sp_gzw *w);

#endif
