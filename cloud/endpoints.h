/* endpoints.h - the handlers the route table (route.c) calls; each fills
 * in the call's reply (call.h). */
#ifndef SP_CLOUD_ENDPOINTS_H
#define SP_CLOUD_ENDPOINTS_H

#include "cloud/call.h"

void cloud_health(struct cloud_call *k);
void cloud_files_push(struct cloud_call *k);
void cloud_files_pull(struct cloud_call *k);
void cloud_files_manifest(struct cloud_call *k);
/* POST .../files/delta: the current archive cut to what the client lacks
 * (body: the SHA-256s it has, one per line): manifest, symlinks, files. */
void cloud_files_delta(struct cloud_call *k);
void cloud_db_import(struct cloud_call *k);
void cloud_db_export(struct cloud_call *k);
void cloud_deploy_post(struct cloud_call *k);
void cloud_deploy_list(struct cloud_call *k);

#endif
