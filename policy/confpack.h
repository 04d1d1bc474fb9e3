/*
 * The config as one flat blob, for the inspector (docs/PRIVSEP.md): it
 * gets its config as a message (MSG_CONFIG), never as a file, so it needs
 * no open() and no path to the config.  Both ends are the same binary.
 */
#ifndef SG_CONFPACK_H
#define SG_CONFPACK_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

/* A blob is never larger than this; conf_unpack refuses anything bigger. */
#define CONF_PACK_MAX	(16u * 1024 * 1024)

/* *blob is malloc'd.  0, or -1 with errno (ENOMEM, EMSGSIZE). */
int		 conf_pack(const struct sg_config *, uint8_t **blob,
		    size_t *len);

/*
 * A config equal to the one packed, or NULL with a reason in err: a
 * truncated or oversized blob, a count larger than the bytes left, a
 * string with a NUL inside, an index or enum out of range.  Every index
 * the policy code follows is checked, so a damaged blob cannot make
 * policy_decide read outside an array.
 */
struct sg_config *conf_unpack(const uint8_t *blob, size_t len, char *err,
		    size_t errlen);

#endif
