/*
 * A DHCP leases file (dnsmasq, ISC dhcpd, Kea CSV or guessed) through
 * leases_parse, then a lookup of every address it produced.
 * Byte 0 picks the format; the rest is the file.
 */
#include "leases.h"
#include "fuzzutil.h"

int
fuzz_one_leases(const uint8_t *data, size_t size)
{
	static const enum conf_leases_format fmts[] = {
		LEASES_AUTO, LEASES_DNSMASQ, LEASES_ISC, LEASES_KEA,
	};
	struct leases ls = { NULL, 0 };
	char err[256];
	char *text;

	if (size < 1)
		return 0;
	/* exactly the bytes, no terminator, so ASan sees an overread */
	if ((text = malloc(size - 1 ? size - 1 : 1)) == NULL)
		abort();
	memcpy(text, data + 1, size - 1);
	if (leases_parse(text, size - 1, fmts[data[0] & 3], "fuzz.leases",
	    &ls, err, sizeof(err)) == 0) {
		for (size_t i = 0; i < ls.n; i++)
			if (leases_find_ip(&ls, &ls.v[i].ip) == NULL)
				abort();	/* every kept lease is findable */
		leases_free(&ls);
	}
	free(text);
	return 0;
}

#ifndef FUZZ_NO_MAIN
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_one_leases(data, size);
}
#endif
