/*
 * Address ranges by the thousand (IPv4 and IPv6): a binary prefix tree,
 * one bit per level, so a lookup costs at most 32 or 128 steps whatever
 * the number of ranges.  Each range carries bits (the categories that
 * list it) and a tag (which list): a lookup returns the bits of every
 * range that holds the address and the tag of the longest of them.
 */
#ifndef SG_CIDRSET_H
#define SG_CIDRSET_H

#include <stdint.h>
#include "sg.h"

#define CIDRSET_NOTAG	UINT32_MAX

struct cidrset;

struct cidrset	*cidrset_new(void);
void		 cidrset_free(struct cidrset *);
/* addr with host bits clear; -1 with errno ENOMEM or EINVAL.  A range
 * added twice keeps the first tag. */
int		 cidrset_add(struct cidrset *, const struct sg_addr *,
		    unsigned prefix, uint64_t bits, uint32_t tag);
/* 0 and *tag = CIDRSET_NOTAG if no range holds addr; tag may be NULL. */
uint64_t	 cidrset_match(const struct cidrset *, const struct sg_addr *,
		    uint32_t *tag);
size_t		 cidrset_count(const struct cidrset *);

#endif
