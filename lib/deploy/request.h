/* request.h - the deploy request to the cloud API. */
#ifndef SP_DEPLOY_REQUEST_H
#define SP_DEPLOY_REQUEST_H

#include <stddef.h>
#include <jansson.h>

#include "client/http.h"

/* POST …/deploy {"image": IMAGE:TAG (the full reference, unless image
 * already carries a tag), "tag", "request_id"}: request_id is a random
 * UUID made once, so every retry of this one request carries the same and
 * the cloud runs the deployment at most once. The answer (a JSON object,
 * caller decrefs) in *answer; returns as sp_http_json. */
int sp_deploy_request(struct sp_http *h, const char *image, const char *tag, json_t **answer,
    char *err, size_t errlen);

#endif
