/* jsonrpc.h - JSON-RPC 2.0 messages: classify what came in, build what goes out. */
#ifndef SP_JSONRPC_H
#define SP_JSONRPC_H

#include <jansson.h>

enum {
	SP_RPC_PARSE_ERROR = -32700,
	SP_RPC_INVALID_REQUEST = -32600,
	SP_RPC_METHOD_NOT_FOUND = -32601,
	SP_RPC_INVALID_PARAMS = -32602,
	SP_RPC_INTERNAL_ERROR = -32603,
};

enum sp_rpc_kind {
	SP_RPC_REQUEST,		/* method and id: answer it */
	SP_RPC_NOTIFICATION,	/* method, no id: never answered */
	SP_RPC_RESPONSE,	/* result or error for a request of ours */
	SP_RPC_INVALID,		/* not a JSON-RPC 2.0 message */
};

/* Classify one message (an element of a batch, or a whole line). For
 * SP_RPC_INVALID, *why says what is wrong and *id is the request's id
 * when one could be read (else NULL: the error goes out with id null).
 * *id is borrowed from msg. */
enum sp_rpc_kind sp_rpc_classify(json_t *msg, json_t **id, const char **why);

/* {"jsonrpc":"2.0","id":id,"result":result}; steals result. */
json_t *sp_rpc_result(json_t *id, json_t *result);

/* {"jsonrpc":"2.0","id":id|null,"error":{"code","message"[,"data"]}};
 * steals data (may be NULL). */
json_t *sp_rpc_error(json_t *id, int code, const char *message, json_t *data);

/* A notification {"jsonrpc":"2.0","method":method,"params":params};
 * steals params. */
json_t *sp_rpc_notification(const char *method, json_t *params);

#endif
