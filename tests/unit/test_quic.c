/*
 * The QUIC Initial check (classifiers/quic.c): each version family nDPI
 * 4.2 knows, the v2 packet type, and headers whose lengths lie.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "quic.h"

/* A client's first datagram: flags, version, 8-byte DCID, empty SCID,
 * no token, a 2-byte length covering the rest, padded to 1200. */
static size_t
t_initial(uint8_t *b, uint8_t flags, uint32_t v)
{
	size_t	 rest;

	memset(b, 0, 1200);
	b[0] = flags;
	b[1] = (uint8_t)(v >> 24);
	b[2] = (uint8_t)(v >> 16);
	b[3] = (uint8_t)(v >> 8);
	b[4] = (uint8_t)v;
	b[5] = 8;
	memset(b + 6, 0xab, 8);
	b[14] = 0;		/* SCID length */
	b[15] = 0;		/* token length */
	rest = 1200 - 18;
	b[16] = (uint8_t)(0x40 | rest >> 8);
	b[17] = (uint8_t)rest;
	return 1200;
}

static void
t_versions(void **state)
{
	uint8_t	 b[1500];

	(void)state;
	assert_true(quic_is_initial(b, t_initial(b, 0xc3, QUIC_V1)));
	/* v2's Initial is long-header type 1 (RFC 9369 3.2) */
	assert_true(quic_is_initial(b, t_initial(b, 0xd3, QUIC_V2)));
	assert_false(quic_is_initial(b, t_initial(b, 0xc3, QUIC_V2)));
	assert_false(quic_is_initial(b, t_initial(b, 0xd3, QUIC_V1)));
	/* drafts and mvfst */
	assert_true(quic_is_initial(b, t_initial(b, 0xc0, 0xff00001d)));
	assert_true(quic_is_initial(b, t_initial(b, 0xc0, 0xfaceb002)));
	/* gQUIC Q046+ in the invariant header, T051 */
	assert_true(quic_is_initial(b, t_initial(b, 0xc3, 0x51303436)));
	assert_true(quic_is_initial(b, t_initial(b, 0xc3, 0x54303531)));
	/* a version no one speaks, version negotiation, a Handshake */
	assert_false(quic_is_initial(b, t_initial(b, 0xc3, 0x1a2a3a4a)));
	assert_false(quic_is_initial(b, t_initial(b, 0xc3, 0)));
	assert_false(quic_is_initial(b, t_initial(b, 0xe3, QUIC_V1)));
	/* short header, fixed bit clear */
	assert_false(quic_is_initial(b, t_initial(b, 0x43, QUIC_V1)));
	assert_false(quic_is_initial(b, t_initial(b, 0x83, QUIC_V1)));
}

static void
t_gquic_public_header(void **state)
{
	uint8_t	 b[64];

	(void)state;
	memset(b, 0, sizeof(b));
	b[0] = 0x09;			/* version present, 8-byte CID */
	memcpy(b + 9, "Q043", 4);
	assert_true(quic_is_initial(b, sizeof(b)));
	memcpy(b + 9, "Q024", 4);
	assert_true(quic_is_initial(b, sizeof(b)));
	memcpy(b + 9, "Q099", 4);	/* no such gQUIC */
	assert_false(quic_is_initial(b, sizeof(b)));
	memcpy(b + 9, "Q043", 4);
	assert_false(quic_is_initial(b, 12));
	b[0] = 0x08;			/* no version */
	assert_false(quic_is_initial(b, sizeof(b)));
}

static void
t_lengths_lie(void **state)
{
	uint8_t	 b[1500];
	size_t	 n;

	(void)state;
	n = t_initial(b, 0xc3, QUIC_V1);
	assert_false(quic_is_initial(b, 1199));		/* not padded */
	assert_false(quic_is_initial(b, 6));
	assert_false(quic_is_initial(b, 0));
	b[5] = 21;					/* DCID too long */
	assert_false(quic_is_initial(b, n));
	b[5] = 4;					/* too short */
	assert_false(quic_is_initial(b, n));
	n = t_initial(b, 0xc3, QUIC_V1);
	b[14] = 200;					/* SCID */
	assert_false(quic_is_initial(b, n));
	n = t_initial(b, 0xc3, QUIC_V1);
	b[15] = 0x7f;					/* token past end */
	b[16] = 0xff;
	assert_false(quic_is_initial(b, n));
	n = t_initial(b, 0xc3, QUIC_V1);
	b[16] = 0x7f;					/* length past end */
	b[17] = 0xff;
	assert_false(quic_is_initial(b, n));
	n = t_initial(b, 0xc3, QUIC_V1);
	b[16] = 0xc0;		/* an 8-byte varint running to the end */
	assert_false(quic_is_initial(b, 17));
	/* a DNS query on 53 that happens to start with 0xc0 */
	memcpy(b, "\xc0\x01\x01\x00\x00\x01\x00\x00", 8);
	assert_false(quic_is_initial(b, 40));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_versions),
		cmocka_unit_test(t_gquic_public_header),
		cmocka_unit_test(t_lengths_lie),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
