/* hex.h - hexadecimal digits. */
#ifndef SP_HEX_H
#define SP_HEX_H

#include <stddef.h>

/* The value of hex digit c (either case), or -1. */
int sp_hexval(int c);

/* Decode 2*n lowercase hex digits at s into out[0..n); 0, or -1 when one
 * is not a lowercase hex digit. */
int sp_unhex(const char *s, unsigned char *out, size_t n);

#endif
