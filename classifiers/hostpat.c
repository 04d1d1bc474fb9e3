#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "hostpat.h"

bool
hostpat_normalise(const char *in, char *out, size_t outlen)
{
	size_t n = strlen(in);

	if (n > 0 && in[n - 1] == '.')
		n--;
	if (n == 0 || n >= outlen || n > 253)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];
		if (!isalnum(c) && c != '-' && c != '.' && c != '_')
			return false;
		out[i] = (char)tolower(c);
	}
	out[n] = '\0';
	return true;
}

/* Compares case-insensitively so wire names need no copy on the hot path. */
bool
hostpat_match(const char *pattern, const char *host)
{
	size_t hl = strlen(host), sl;

	if (hl > 0 && host[hl - 1] == '.')
		hl--;
	if (pattern[0] == '*' && pattern[1] == '.') {
		const char *suffix = pattern + 1;	/* ".example.org" */
		sl = strlen(suffix);
		return hl > sl && strncasecmp(host + hl - sl, suffix, sl) == 0;
	}
	sl = strlen(pattern);
	return hl == sl && strncasecmp(host, pattern, hl) == 0;
}
