/* hex.c - hexadecimal digits. */
#include "core/hex.h"

int
sp_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
sp_unhex(const char *s, unsigned char *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int hi = s[2 * i], lo;

		if (hi >= 'A' && hi <= 'F')
			return -1;
		if ((hi = sp_hexval(hi)) < 0 || (lo = s[2 * i + 1]) == 0 || (lo >= 'A' && lo <= 'F') ||
		    (lo = sp_hexval(lo)) < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}
