/*
 * Host patterns from the config: an exact name ("padlet.com") or a
 * wildcard for every name below a domain ("*.padlet.com", which does not
 * match "padlet.com" itself; list both when both are meant).
 */
#ifndef SG_HOSTPAT_H
#define SG_HOSTPAT_H

#include <stdbool.h>
#include <stddef.h>

bool	hostpat_match(const char *pattern, const char *host);
/* Lower-case, drop one trailing dot; false if not a plausible DNS name. */
bool	hostpat_normalise(const char *in, char *out, size_t outlen);

#endif
