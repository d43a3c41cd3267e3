/* path.c - relative tree paths in records: encoding and safety checks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "core/err.h"
#include "core/path.h"

int
sp_utf8_valid(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	while (i < n) {
		unsigned c = s[i];
		size_t len;
		unsigned cp;

		if (c < 0x80) {
			i++;
			continue;
		} else if (c >= 0xc2 && c <= 0xdf) {
			len = 2;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			len = 3;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			len = 4;
			cp = c & 0x07;
		} else
			return 0;
		if (i + len > n)
			return 0;
		for (size_t k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += len;
	}
	return 1;
}

const char *
sp_path_unsafe(const char *p, int strict)
{
	const char *c, *s;

	if (!*p)
		return "empty path";
	if (*p == '/')
		return "absolute path";
	for (s = p;; s = c + 1) {
		c = strchr(s, '/');
		size_t len = c ? (size_t)(c - s) : strlen(s);
		if (len == 0)
			return c ? "empty path component" : "trailing slash";
		if (len == 1 && s[0] == '.')
			return "\".\" path component";
		if (len == 2 && s[0] == '.' && s[1] == '.')
			return "\"..\" path component";
		if (!c)
			break;
	}
	if (strict)
		for (s = p; *s; s++)
			if (sp_ctl_len(s))
				return "control character in name";
	return NULL;
}

int
sp_ctl_len(const char *s)
{
	unsigned char c = (unsigned char)s[0];

	if ((c && c < 0x20) || c == 0x7f)
		return 1;
	return c == 0xc2 && (unsigned char)s[1] >= 0x80 && (unsigned char)s[1] <= 0x9f ? 2 : 0;
}

const char *
sp_name_unfit(const char *s)
{
	if (!sp_utf8_valid(s, strlen(s)))
		return "is not valid UTF-8";
	for (; *s; s++)
		if (sp_ctl_len(s))
			return "holds a control character";
	return NULL;
}

void
sp_show(const char *str, char *out, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;
	size_t o = 0;

	if (!n)
		return;
	while (*s && o + 1 < n) {
		size_t len = *s < 0x80 ? 1 : *s >= 0xf0 ? 4 : *s >= 0xe0 ? 3 : 2;
		int ok = *s < 0x80 ? 1 : strnlen((const char *)s, len) == len &&
		    sp_utf8_valid((const char *)s, len);
		int ctl = *s == '\n' || *s == '\t' ? 0 : sp_ctl_len((const char *)s);

		if (ok && !ctl) {
			if (o + len + 1 > n)
				break;
			memcpy(out + o, s, len);
			o += len;
			s += len;
			continue;
		}
		/* one byte shown as \xHH; a C1 control as its two bytes */
		for (size_t k = 0; k < (ctl == 2 ? 2u : 1u); k++) {
			if (o + 5 > n)
				goto done;
			out[o++] = '\\', out[o++] = 'x';
			out[o++] = hex[s[0] >> 4], out[o++] = hex[s[0] & 15];
			s++;
		}
	}
done:
	out[o] = '\0';
}

char *
sp_b64_encode(const void *p, size_t n)
{
	char *out = sp_malloc(4 * ((n + 2) / 3) + 1);

	EVP_EncodeBlock((unsigned char *)out, p, (int)n);
	return out;
}

char *
sp_b64_decode(const char *s, size_t *n)
{
	size_t len = strlen(s), pad = 0;
	unsigned char *out;
	int r;

	if (len % 4)
		return NULL;
	if (len && s[len - 1] == '=')
		pad++;
	if (len > 1 && s[len - 2] == '=')
		pad++;
	out = sp_malloc(len / 4 * 3 + 1);
	r = EVP_DecodeBlock(out, (const unsigned char *)s, (int)len);
	if (r < 0 || (size_t)r < pad) {
		free(out);
		return NULL;
	}
	*n = (size_t)r - pad;
	out[*n] = '\0';
	return (char *)out;
}

char *
sp_record_name(json_t *rec, const char *key, const char **why)
{
	char bkey[64];
	json_t *b, *v;
	size_t n;
	char *raw;

	snprintf(bkey, sizeof bkey, "%s_b64", key);
	b = json_object_get(rec, bkey);
	if (b) {
		if (!json_is_string(b) || !(raw = sp_b64_decode(json_string_value(b), &n))) {
			*why = "a \"_b64\" name field is not valid base64";
			return NULL;
		}
		if (strlen(raw) != n) {
			free(raw);
			*why = "name contains a NUL byte";
			return NULL;
		}
		return raw;
	}
	v = json_object_get(rec, key);
	if (!json_is_string(v)) {
		*why = !strcmp(key, "path") ? "record has no \"path\" string" : "name field is not a string";
		return NULL;
	}
	if (strlen(json_string_value(v)) != json_string_length(v)) {
		*why = "name contains a NUL byte";
		return NULL;
	}
	return sp_strdup(json_string_value(v));
}

void
sp_record_set_name(json_t *rec, const char *key, const char *bytes)
{
	size_t n = strlen(bytes);
	char *lossy, *q, *b64, bkey[64];
	const unsigned char *s;

	snprintf(bkey, sizeof bkey, "%s_b64", key);
	if (sp_utf8_valid(bytes, n)) {
		json_object_set_new(rec, key, json_string(bytes));
		json_object_del(rec, bkey);
		return;
	}
	/* Keep valid sequences, replace each offending byte by U+FFFD. */
	q = lossy = sp_malloc(3 * n + 1);
	for (s = (const unsigned char *)bytes; *s;) {
		size_t len = *s < 0x80 ? 1 : *s >= 0xf0 ? 4 : *s >= 0xe0 ? 3 : 2;
		if (*s < 0x80 || (strnlen((const char *)s, len) == len && sp_utf8_valid((const char *)s, len))) {
			memcpy(q, s, len);
			q += len;
			s += len;
		} else {
			memcpy(q, "\xef\xbf\xbd", 3);
			q += 3;
			s++;
		}
	}
	*q = '\0';
	b64 = sp_b64_encode(bytes, n);
	json_object_set_new(rec, key, json_string(lossy));
	json_object_set_new(rec, bkey, json_string(b64));
	free(lossy);
	free(b64);
}

char *
sp_path_join(const char *dir, const char *rel)
{
	size_t d = strlen(dir);

	if (d && dir[d - 1] == '/')
		return sp_asprintf("%s%s", dir, rel);
	return sp_asprintf("%s/%s", dir, rel);
}
