/* jsonrpc.c - JSON-RPC 2.0 messages. */
#include <string.h>

#include "mcp/jsonrpc.h"

/* A usable id: a string or an integer (MCP forbids null; JSON-RPC
 * discourages fractions). */
static int
good_id(json_t *id)
{
	return json_is_string(id) || json_is_integer(id);
}

enum sp_rpc_kind
sp_rpc_classify(json_t *msg, json_t **id, const char **why)
{
	json_t *v, *method, *params;
	int has_id;

	*id = NULL;
	*why = NULL;
	if (!json_is_object(msg)) {
		*why = "a message must be a JSON object";
		return SP_RPC_INVALID;
	}
	v = json_object_get(msg, "id");
	has_id = v != NULL;
	if (has_id && good_id(v))
		*id = v;
	if (!json_is_string(json_object_get(msg, "jsonrpc")) ||
	    strcmp(json_string_value(json_object_get(msg, "jsonrpc")), "2.0") != 0) {
		*why = "\"jsonrpc\" must be \"2.0\"";
		return SP_RPC_INVALID;
	}
	method = json_object_get(msg, "method");
	if (!method) {
		if ((json_object_get(msg, "result") || json_object_get(msg, "error")) && has_id)
			return SP_RPC_RESPONSE;
		*why = "a request needs a \"method\"";
		return SP_RPC_INVALID;
	}
	if (!json_is_string(method)) {
		*why = "\"method\" must be a string";
		return SP_RPC_INVALID;
	}
	if (has_id && !good_id(v)) {
		*why = "\"id\" must be a string or an integer";
		return SP_RPC_INVALID;
	}
	params = json_object_get(msg, "params");
	if (params && !json_is_object(params) && !json_is_array(params)) {
		*why = "\"params\" must be an object or an array";
		return SP_RPC_INVALID;
	}
	return has_id ? SP_RPC_REQUEST : SP_RPC_NOTIFICATION;
}

json_t *
sp_rpc_result(json_t *id, json_t *result)
{
	json_t *r = json_object();

	json_object_set_new(r, "jsonrpc", json_string("2.0"));
	json_object_set(r, "id", id);
	json_object_set_new(r, "result", result);
	return r;
}

json_t *
sp_rpc_error(json_t *id, int code, const char *message, json_t *data)
{
	json_t *r = json_object(), *e = json_object();

	json_object_set_new(e, "code", json_integer(code));
	json_object_set_new(e, "message", json_string(message));
	if (data)
		json_object_set_new(e, "data", data);
	json_object_set_new(r, "jsonrpc", json_string("2.0"));
	json_object_set(r, "id", id ? id : json_null());
	json_object_set_new(r, "error", e);
	return r;
}

json_t *
sp_rpc_notification(const char *method, json_t *params)
{
	json_t *r = json_object();

	json_object_set_new(r, "jsonrpc", json_string("2.0"));
	json_object_set_new(r, "method", json_string(method));
	if (params)
		json_object_set_new(r, "params", params);
	return r;
}
