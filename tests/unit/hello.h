/* A ClientHello builder for the unit tests (header-only, like testutil.h). */
#ifndef SG_TEST_HELLO_H
#define SG_TEST_HELLO_H

#include <stdint.h>
#include <string.h>

static inline size_t
th_put16(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return 2;
}

/*
 * A TLS record holding a ClientHello: SNI if sni != NULL, ALPN "h2" and
 * "http/1.1" if alpn, an ECH extension if ech, and pad bytes of padding
 * (extension 21) to set its size.  Returns the bytes written to out.
 */
static inline size_t
th_hello(uint8_t *out, const char *sni, int alpn, int ech, size_t pad)
{
	uint8_t *hs = out + 5, *p, *ext;
	size_t n, sl;

	p = hs + 4;
	p += th_put16(p, 0x0303);
	memset(p, 0x42, 32);
	p += 32;
	*p++ = 0;			/* session id */
	p += th_put16(p, 4);
	p += th_put16(p, 0x1301);
	p += th_put16(p, 0x1302);
	*p++ = 1;
	*p++ = 0;			/* null compression */
	ext = p;
	p += 2;
	if (sni != NULL) {
		sl = strlen(sni);
		p += th_put16(p, 0x0000);
		p += th_put16(p, sl + 5);
		p += th_put16(p, sl + 3);
		*p++ = 0;
		p += th_put16(p, sl);
		memcpy(p, sni, sl);
		p += sl;
	}
	if (alpn) {
		p += th_put16(p, 0x0010);
		p += th_put16(p, 14);
		p += th_put16(p, 12);
		*p++ = 2;
		memcpy(p, "h2", 2);
		p += 2;
		*p++ = 8;
		memcpy(p, "http/1.1", 8);
		p += 8;
	}
	if (ech) {
		p += th_put16(p, 0xfe0d);
		p += th_put16(p, 4);
		memset(p, 0x11, 4);
		p += 4;
	}
	if (pad > 0) {
		p += th_put16(p, 21);
		p += th_put16(p, pad);
		memset(p, 0, pad);
		p += pad;
	}
	th_put16(ext, (size_t)(p - ext - 2));
	n = (size_t)(p - hs);
	hs[0] = 1;
	hs[1] = (uint8_t)((n - 4) >> 16);
	hs[2] = (uint8_t)((n - 4) >> 8);
	hs[3] = (uint8_t)(n - 4);
	out[0] = 22;
	out[1] = 3;
	out[2] = 1;
	th_put16(out + 3, n);
	return n + 5;
}

#endif
