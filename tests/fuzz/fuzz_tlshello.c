/*
 * A client's first bytes, as a hostile device sends them: into the
 * ClientHello parser directly, and cut into segments (lengths and
 * sequence offsets from the input itself) through the stream and the
 * flow's TLS state, as the engine feeds them.
 */
#include "tlsflow.h"
#include "fuzzutil.h"

static void
fuzz_tlshello_check(const struct tlsh_hello *h, size_t len)
{
	if (memchr(h->sni, '\0', sizeof(h->sni)) == NULL ||
	    memchr(h->alpn, '\0', sizeof(h->alpn)) == NULL || h->len > len)
		abort();
}

/* First byte: how many segments; then per segment 2 bytes of offset and
 * 1 of length, taken from the data that follows. */
static void
fuzz_tlshello_segments(const uint8_t *data, size_t size)
{
	static struct strm_budget budget = { 0, (size_t)1 << 22 };
	struct tlsf *t;
	size_t nseg, off, len, hdr;

	if (size < 1 || (t = tlsf_new(&budget)) == NULL)
		return;
	nseg = data[0] % 32;
	hdr = 1 + nseg * 3;
	for (size_t i = 0; i < nseg && hdr < size; i++) {
		const uint8_t *s = data + 1 + i * 3;
		if (1 + i * 3 + 3 > size)
			break;
		off = ((size_t)s[0] << 8 | s[1]) % (size - hdr);
		len = (size_t)s[2] + 1;
		if (len > size - hdr - off)
			len = size - hdr - off;
		tlsf_client(t, 7777u + (uint32_t)off, data + hdr + off, len);
	}
	if (t->have_hello)
		fuzz_tlshello_check(&t->hello, TLSH_STREAM_MAX);
	tlsf_free(t);
	if (budget.used != 0)
		abort();
}

int
fuzz_one_tlshello(const uint8_t *data, size_t size)
{
	struct tlsh_hello h;
	uint8_t *copy;

	if ((copy = malloc(size ? size : 1)) == NULL)
		abort();
	memcpy(copy, data, size);	/* exact bounds for ASan */
	(void)tlsh_start(copy, size);
	if (tlsh_parse(copy, size, &h) == TLSH_OK)
		fuzz_tlshello_check(&h, size);
	fuzz_tlshello_segments(copy, size);
	free(copy);
	return 0;
}

#ifndef FUZZ_NO_MAIN
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_one_tlshello(data, size);
}
#endif
