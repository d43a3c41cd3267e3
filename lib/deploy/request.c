/* request.c - the deploy request to the cloud (POST …/deploy), shared by
 * sp-deploy and sp-upload deploy. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "client/http.h"
#include "core/err.h"
#include "core/uuid.h"
#include "deploy/request.h"

int
sp_deploy_request(struct sp_http *h, const char *image, const char *tag, json_t **answer,
    char *err, size_t errlen)
{
	char id[SP_UUID_LEN], *ref;
	const char *base;
	json_t *body;
	int rc;

	sp_uuid4(id);
	/* the full reference, as upstream's cloud wants it, and the tag too */
	base = strrchr(image, '/');
	ref = strchr(base ? base : image, ':') ? sp_strdup(image) : sp_asprintf("%s:%s", image, tag);
	body = json_pack("{s:s, s:s, s:s}", "image", ref, "tag", tag, "request_id", id);
	free(ref);
	rc = sp_http_json(h, "POST", "/deploy", body, answer, err, errlen);
	json_decref(body);
	return rc;
}
