/* server.h - inside sp-cloudd: the running server, as endpoints and the
 * HTTP layer see it. */
#ifndef SP_CLOUD_SERVER_H
#define SP_CLOUD_SERVER_H

#include <pthread.h>
#include <semaphore.h>

#include "cloud/cloud.h"

struct cloud_mcache;
struct cloud_guard;
struct cloud_probe;

struct cloud_server {
	struct cloud_config cfg;
	struct MHD_Daemon *daemon;
	struct cloud_pool *pool;
	struct cloud_guard *guard;	/* header deadline, body rate */
	struct cloud_probe *probe;	/* does the database answer? */
	char *work;		/* work directory */
	char *spool, *cache;	/* its subdirectories */
	int own_work;		/* created by us: removed at stop */
	int lock_fd;		/* WORK/lock, flock'd while the server lives */
	char url[128];
	pthread_mutex_t cache_mu;
	sem_t verify;		/* --max-verify: archive verifications at once */
	struct cloud_mcache *mcache;	/* manifests by archive sha256, in memory */
};

#endif
