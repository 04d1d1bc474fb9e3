/*
 * A loaded config shared by several users (the daemon's main thread and
 * its workers' engines): freed with its last reference, so a reload never
 * pulls a config from under a flow that was decided by it.
 */
#include <stdlib.h>

#include "config.h"

struct cfg_ref *
cfg_ref_new(struct sg_config *cfg, unsigned generation)
{
	struct cfg_ref *r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->cfg = cfg;
	r->generation = generation;
	atomic_init(&r->refs, 1);
	return r;
}

void
cfg_ref_get(struct cfg_ref *r)
{
	atomic_fetch_add(&r->refs, 1);
}

void
cfg_ref_put(struct cfg_ref *r)
{
	if (r != NULL && atomic_fetch_sub(&r->refs, 1) == 1) {
		conf_free(r->cfg);
		free(r);
	}
}
