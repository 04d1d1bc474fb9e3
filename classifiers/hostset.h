/*
 * Host patterns by the thousand: a hash of names, each with the bits of
 * the categories (or lists) that name it exactly ("example.org") and of
 * those that name everything below it ("*.example.org").  A lookup walks
 * the host's labels once, right to left, so it costs one probe per label
 * whatever the number of patterns.
 */
#ifndef SG_HOSTSET_H
#define SG_HOSTSET_H

#include <stdint.h>

struct hostset;

struct hostset	*hostset_new(void);
void		 hostset_free(struct hostset *);
/* pattern as hostpat_normalise() leaves it, optionally "*."-prefixed;
 * -1 with errno ENOMEM or EINVAL. */
int		 hostset_add(struct hostset *, const char *pattern,
		    uint64_t bits);
/* The bits of every pattern that matches host (any case, one trailing
 * dot ignored); 0 if none or host is not a plausible name. */
uint64_t	 hostset_match(const struct hostset *, const char *host);
size_t		 hostset_count(const struct hostset *);

#endif
