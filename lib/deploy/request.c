/* request.c - the deploy request to the cloud (POST …/deploy), shared by
 * sp-deploy and sp-upload deploy. */
#include <jansson.h>

#include "client/http.h"
#include "core/uuid.h"
#include "deploy/request.h"

int
sp_deploy_request(struct sp_http *h, const char *image, const char *tag, json_t **answer,
    char *err, size_t errlen)
{
	char id[SP_UUID_LEN];
	json_t *body;
	int rc;

	sp_uuid4(id);
	body = json_pack("{s:s, s:s, s:s}", "image", image, "tag", tag, "request_id", id);
	rc = sp_http_json(h, "POST", "/deploy", body, answer, err, errlen);
	json_decref(body);
	return rc;
}
