/* result.c - "result" and "error" records. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/err.h"
#include "rec/result.h"

json_t *
sp_result_new(const char *operation)
{
	return json_pack("{s:s, s:s, s:b, s:I, s:I, s:I, s:[], s:{}}", "type", "result",
	    "operation", operation, "success", 1, "items_synced", (json_int_t)0,
	    "items_skipped", (json_int_t)0, "items_deleted", (json_int_t)0, "errors", "details");
}

void
sp_result_add(json_t *r, const char *count, long long n)
{
	json_t *v = json_object_get(r, count);

	json_object_set_new(r, count, json_integer(json_integer_value(v) + n));
}

void
sp_result_error(json_t *r, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		sp_die(SP_EX_SOFTWARE, "out of memory");
	va_end(ap);
	json_array_append_new(json_object_get(r, "errors"), json_string(s));
	json_object_set(r, "success", json_false());
	free(s);
}

json_t *
sp_result_details(json_t *r)
{
	return json_object_get(r, "details");
}

json_t *
sp_error_record(const char *operation, int code, const char *message)
{
	return json_pack("{s:s, s:s, s:i, s:s}", "type", "error", "operation", operation,
	    "code", code, "message", message);
}
