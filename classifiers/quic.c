/*
 * The QUIC Initial header (RFC 9000 17.2.2, RFC 9369 3.2) and gQUIC's
 * public header, read with each length checked against the datagram.
 */
#include "quic.h"

#define QUIC_LONG	0x80	/* header form */
#define QUIC_FIXED	0x40
#define QUIC_CID_MAX	20
#define QUIC_DCID_MIN	8	/* a client's first Destination CID */
#define GQUIC_VERSION	0x01	/* public flags: version present */
#define GQUIC_CID8	0x08	/* public flags: 8-byte connection ID */

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/* Q02x..Q05x and T05x: "Q0" or "T0" and two decimal digits. */
static bool
quic_gquic_version(uint32_t v)
{
	uint32_t top = v & 0xffff0000u;
	uint8_t  d1 = (uint8_t)(v >> 8), d2 = (uint8_t)v;

	if (d2 < '0' || d2 > '9')
		return false;
	if (top == 0x51300000u)			/* "Q0" */
		return d1 >= '2' && d1 <= '5';
	return top == 0x54300000u && d1 == '5';	/* "T0" */
}

/* The long-header packet type that is Initial for version v, or -1. */
static int
quic_initial_type(uint32_t v)
{
	if (v == QUIC_V2)
		return 1;
	if (v == QUIC_V1 || (v & 0xffffff00u) == 0xff000000u ||
	    (v & 0xfffff000u) == 0xfaceb000u)
		return 0;
	return -1;
}

/* A variable-length integer (RFC 9000 16); false if it runs past end. */
static bool
quic_varint(const uint8_t *p, size_t len, size_t *off, uint64_t *v)
{
	size_t	 n;

	if (*off >= len)
		return false;
	n = (size_t)1 << (p[*off] >> 6);
	if (len - *off < n)
		return false;
	*v = p[*off] & 0x3f;
	for (size_t i = 1; i < n; i++)
		*v = *v << 8 | p[*off + i];
	*off += n;
	return true;
}

/* Flags, version, DCID, SCID, token and the length of the rest. */
static bool
quic_ietf_initial(const uint8_t *p, size_t len, uint32_t v)
{
	size_t	 off = 5;
	uint64_t tok, plen;
	int	 type = quic_initial_type(v);

	if (type == -1 || ((p[0] >> 4) & 0x03) != type ||
	    len < QUIC_MIN_INITIAL)
		return false;
	if (p[off] < QUIC_DCID_MIN || p[off] > QUIC_CID_MAX ||
	    len - off - 1 < p[off])
		return false;
	off += 1 + (size_t)p[off];
	if (off >= len || p[off] > QUIC_CID_MAX || len - off - 1 < p[off])
		return false;
	off += 1 + (size_t)p[off];
	if (!quic_varint(p, len, &off, &tok) || len - off < tok)
		return false;
	off += (size_t)tok;
	return quic_varint(p, len, &off, &plen) && plen > 0 &&
	    len - off >= plen;
}

bool
quic_is_initial(const uint8_t *p, size_t len)
{
	uint32_t v;

	if (len < 7)
		return false;
	/* gQUIC up to Q043: public flags, an 8-byte CID, the version */
	if ((p[0] & (QUIC_LONG | GQUIC_VERSION | GQUIC_CID8)) ==
	    (GQUIC_VERSION | GQUIC_CID8))
		return len >= 13 && quic_gquic_version(get32(p + 9));
	if ((p[0] & (QUIC_LONG | QUIC_FIXED)) != (QUIC_LONG | QUIC_FIXED))
		return false;
	v = get32(p + 1);
	/* Q046 and later: the IETF invariant header, a gQUIC version */
	if (quic_gquic_version(v))
		return true;
	return quic_ietf_initial(p, len, v);
}
