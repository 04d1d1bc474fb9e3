/*
 * Link and IP decoding.  Two lengths are tracked for every layer: what the
 * header declares and what the buffer actually holds.  Header fields are
 * validated against the declared length (so an impossible value is
 * DEC_MALFORMED) but every read is bounded by the bytes available (so a
 * capture cut by its snaplen is DEC_TRUNCATED only where headers are cut).
 */
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "decode.h"

#define ETH_HLEN		14
#define ETHERTYPE_IPV4		0x0800
#define ETHERTYPE_IPV6		0x86dd
#define ETHERTYPE_VLAN		0x8100
#define ETHERTYPE_QINQ		0x88a8
#define ETHERTYPE_QINQ_OLD	0x9100
#define ETHERTYPE_PPPOE_SESS	0x8864
#define PPPOE_HLEN		8	/* PPPoE header and the PPP protocol */
#define PPP_IPV4		0x0021
#define PPP_IPV6		0x0057
#define SLL_HLEN		16
#define SLL2_HLEN		20
#define NULL_HLEN		4

#define IPV4_HLEN		20
#define IPV6_HLEN		40
#define TCP_HLEN		20
#define UDP_HLEN		8
#define ICMP_HLEN		4

#define PROTO_HOPOPTS		0
#define PROTO_ICMP		1
#define PROTO_IPIP		4
#define PROTO_TCP		6
#define PROTO_UDP		17
#define PROTO_IPV6		41
#define PROTO_ROUTING		43
#define PROTO_FRAGMENT		44
#define PROTO_ESP		50
#define PROTO_AH		51
#define PROTO_ICMPV6		58
#define PROTO_NONE		59
#define PROTO_DSTOPTS		60

/* Far more than any real packet; stops a pathological header chain. */
#define IPV6_MAX_EXTHDRS	16

static const char *const dec_names[DEC_NRESULTS] = {
	"ok", "truncated", "malformed", "unsupported", "fragment",
};

static enum dec_result	dec_ip_depth(const uint8_t *, size_t, struct dec_pkt *,
			    int);

static uint16_t
dec_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
dec_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static size_t
dec_min(size_t a, size_t b)
{
	return a < b ? a : b;
}

const char *
dec_result_name(enum dec_result r)
{
	if ((unsigned)r >= DEC_NRESULTS)
		return "?";
	return dec_names[r];
}

static enum dec_result
dec_l3_set(struct dec_l2 *l2, const uint8_t *p, size_t len)
{
	if (len == 0)
		return DEC_TRUNCATED;
	l2->l3 = p;
	l2->l3len = len;
	return DEC_OK;
}

/* PPP in a PPPoE session frame; p points at the PPPoE header. */
static enum dec_result
dec_pppoe(const uint8_t *p, size_t len, struct dec_l2 *l2)
{
	size_t		 plen;
	uint16_t	 proto;

	if (len < PPPOE_HLEN)
		return DEC_TRUNCATED;
	if (p[0] != 0x11 || p[1] != 0x00)
		return DEC_MALFORMED;
	plen = dec_be16(p + 4);
	if (plen < 2)
		return DEC_MALFORMED;
	proto = dec_be16(p + 6);
	if (proto != PPP_IPV4 && proto != PPP_IPV6)
		return DEC_UNSUPPORTED;
	/* The PPPoE length includes the PPP protocol; Ethernet may pad. */
	return dec_l3_set(l2, p + PPPOE_HLEN,
	    dec_min(plen - 2, len - PPPOE_HLEN));
}

/*
 * Walk VLAN tags (any depth, 802.1Q or 802.1ad) and PPPoE from an
 * ethertype to the IP header.  off is where the ethertype's payload starts.
 */
static enum dec_result
dec_ethertype(const uint8_t *p, size_t len, size_t off, uint16_t type,
    struct dec_l2 *l2)
{
	int	 tagged = 0;

	while (type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ ||
	    type == ETHERTYPE_QINQ_OLD) {
		if (len - off < 4)
			return DEC_TRUNCATED;
		if (!tagged)
			l2->vlan = dec_be16(p + off) & 0x0fff;
		tagged = 1;
		type = dec_be16(p + off + 2);
		off += 4;
	}
	switch (type) {
	case ETHERTYPE_IPV4:
	case ETHERTYPE_IPV6:
		return dec_l3_set(l2, p + off, len - off);
	case ETHERTYPE_PPPOE_SESS:
		return dec_pppoe(p + off, len - off, l2);
	default:
		return DEC_UNSUPPORTED;
	}
}

static enum dec_result
dec_ethernet(const uint8_t *p, size_t len, struct dec_l2 *l2)
{
	if (len < ETH_HLEN)
		return DEC_TRUNCATED;
	memcpy(l2->src_mac, p + 6, 6);
	l2->has_mac = 1;
	return dec_ethertype(p, len, ETH_HLEN, dec_be16(p + 12), l2);
}

/* The link address in an SLL header is the sender's. */
static enum dec_result
dec_sll(const uint8_t *p, size_t len, struct dec_l2 *l2)
{
	if (len < SLL_HLEN)
		return DEC_TRUNCATED;
	if (dec_be16(p + 4) == 6) {
		memcpy(l2->src_mac, p + 6, 6);
		l2->has_mac = 1;
	}
	return dec_ethertype(p, len, SLL_HLEN, dec_be16(p + 14), l2);
}

static enum dec_result
dec_sll2(const uint8_t *p, size_t len, struct dec_l2 *l2)
{
	if (len < SLL2_HLEN)
		return DEC_TRUNCATED;
	if (p[11] == 6) {
		memcpy(l2->src_mac, p + 12, 6);
		l2->has_mac = 1;
	}
	return dec_ethertype(p, len, SLL2_HLEN, dec_be16(p), l2);
}

/* BSD's AF_INET6 differs between systems: 24, 28 and 30 are all seen. */
static int
dec_null_family(uint32_t fam)
{
	switch (fam) {
	case 2:
		return AF_INET;
	case 24:
	case 28:
	case 30:
		return AF_INET6;
	default:
		return 0;
	}
}

static uint32_t
dec_bswap32(uint32_t v)
{
	return (v >> 24) | ((v >> 8) & 0xff00) | ((v << 8) & 0xff0000) |
	    (v << 24);
}

/* The family is in the writer's byte order, which the file does not say. */
static enum dec_result
dec_null(const uint8_t *p, size_t len, struct dec_l2 *l2)
{
	uint32_t	 fam;

	if (len < NULL_HLEN)
		return DEC_TRUNCATED;
	fam = dec_be32(p);
	if (dec_null_family(fam) == 0)
		fam = dec_bswap32(fam);
	if (dec_null_family(fam) == 0)
		return DEC_UNSUPPORTED;
	return dec_l3_set(l2, p + NULL_HLEN, len - NULL_HLEN);
}

static enum dec_result
dec_raw(const uint8_t *p, size_t len, int want_version, struct dec_l2 *l2)
{
	int	 v;

	if (len == 0)
		return DEC_TRUNCATED;
	v = p[0] >> 4;
	if (v != 4 && v != 6)
		return DEC_UNSUPPORTED;
	if (want_version != 0 && v != want_version)
		return DEC_MALFORMED;
	return dec_l3_set(l2, p, len);
}

enum dec_result
dec_link(int linktype, const uint8_t *p, size_t len, struct dec_l2 *l2)
{
	memset(l2, 0, sizeof(*l2));
	if (p == NULL)
		return DEC_TRUNCATED;
	switch (linktype) {
	case DEC_LINK_ETHERNET:
		return dec_ethernet(p, len, l2);
	case DEC_LINK_LINUX_SLL:
		return dec_sll(p, len, l2);
	case DEC_LINK_LINUX_SLL2:
		return dec_sll2(p, len, l2);
	case DEC_LINK_NULL:
	case DEC_LINK_LOOP:
		return dec_null(p, len, l2);
	case DEC_LINK_RAW:
	case DEC_LINK_RAW_DLT12:
	case DEC_LINK_RAW_DLT14:
		return dec_raw(p, len, 0, l2);
	case DEC_LINK_IPV4:
		return dec_raw(p, len, 4, l2);
	case DEC_LINK_IPV6:
		return dec_raw(p, len, 6, l2);
	default:
		return DEC_UNSUPPORTED;
	}
}

/*
 * The transport header.  avail is what the buffer holds, decl what the IP
 * header says; in a first fragment the rest of the datagram is elsewhere,
 * so lengths that reach past this fragment are not errors.
 */
static enum dec_result
dec_tcp(const uint8_t *p, size_t avail, size_t decl, int frag,
    struct dec_pkt *pkt)
{
	size_t	 doff;

	if (avail < TCP_HLEN)
		return decl < TCP_HLEN && !frag ? DEC_MALFORMED : DEC_TRUNCATED;
	doff = (size_t)(p[12] >> 4) * 4;
	if (doff < TCP_HLEN)
		return DEC_MALFORMED;
	if (doff > decl && !frag)
		return DEC_MALFORMED;
	if (doff > avail)
		return DEC_TRUNCATED;
	pkt->sport = dec_be16(p);
	pkt->dport = dec_be16(p + 2);
	pkt->tcp_seq = (uint32_t)dec_be16(p + 4) << 16 | dec_be16(p + 6);
	pkt->tcp_flags = p[13];
	pkt->payload = p + doff;
	pkt->paylen = avail - doff;
	return DEC_OK;
}

static enum dec_result
dec_udp(const uint8_t *p, size_t avail, size_t decl, int frag,
    struct dec_pkt *pkt)
{
	size_t	 ulen;

	if (avail < UDP_HLEN)
		return decl < UDP_HLEN && !frag ? DEC_MALFORMED : DEC_TRUNCATED;
	ulen = dec_be16(p + 4);
	if (ulen < UDP_HLEN)
		return DEC_MALFORMED;
	if (ulen > decl && !frag)
		return DEC_MALFORMED;
	pkt->sport = dec_be16(p);
	pkt->dport = dec_be16(p + 2);
	pkt->payload = p + UDP_HLEN;
	pkt->paylen = dec_min(ulen, avail) - UDP_HLEN;
	return DEC_OK;
}

static enum dec_result
dec_icmp(const uint8_t *p, size_t avail, size_t decl, int frag,
    struct dec_pkt *pkt)
{
	if (avail < ICMP_HLEN)
		return decl < ICMP_HLEN && !frag ? DEC_MALFORMED :
		    DEC_TRUNCATED;
	pkt->sport = (uint16_t)(p[0] << 8 | p[1]);
	pkt->dport = 0;
	pkt->payload = p + ICMP_HLEN;
	pkt->paylen = avail - ICMP_HLEN;
	return DEC_OK;
}

static enum dec_result
dec_l4(const uint8_t *p, size_t avail, size_t decl, int frag,
    struct dec_pkt *pkt)
{
	switch (pkt->proto) {
	case PROTO_TCP:
		return dec_tcp(p, avail, decl, frag, pkt);
	case PROTO_UDP:
		return dec_udp(p, avail, decl, frag, pkt);
	case PROTO_ICMP:
	case PROTO_ICMPV6:
		return dec_icmp(p, avail, decl, frag, pkt);
	default:
		pkt->payload = p;
		pkt->paylen = avail;
		return DEC_OK;
	}
}

/*
 * 6in4: report the inner IPv6 packet.  Anything the inner packet cannot
 * give (not IPv6, or yet another tunnel) leaves the outer packet as a
 * plain protocol 41 flow, so nesting never recurses.
 */
static enum dec_result
dec_6in4(const uint8_t *p, size_t avail, size_t decl, struct dec_pkt *pkt)
{
	struct dec_pkt		 inner;
	enum dec_result		 r;

	if (avail == 0 && decl > 0)
		return DEC_TRUNCATED;
	if (avail == 0 || p[0] >> 4 != 6)
		goto outer;
	r = dec_ip_depth(p, avail, &inner, 1);
	if (r == DEC_OK && (inner.proto == PROTO_IPV6 ||
	    inner.proto == PROTO_IPIP))
		goto outer;
	if (r != DEC_OK && r != DEC_FRAGMENT)
		return r;
	*pkt = inner;
	pkt->tunnelled = 1;
	return r;
 outer:
	pkt->payload = p;
	pkt->paylen = avail;
	return DEC_OK;
}

static enum dec_result
dec_ipv4(const uint8_t *p, size_t len, struct dec_pkt *pkt, int depth)
{
	size_t		 ihl, tot, avail;
	uint16_t	 frag;

	if (len < IPV4_HLEN)
		return DEC_TRUNCATED;
	ihl = (size_t)(p[0] & 0x0f) * 4;
	tot = dec_be16(p + 2);
	if (ihl < IPV4_HLEN || tot < ihl)
		return DEC_MALFORMED;
	if (len < ihl)
		return DEC_TRUNCATED;
	avail = dec_min(tot, len);
	pkt->src.family = AF_INET;
	memcpy(pkt->src.a, p + 12, 4);
	pkt->dst.family = AF_INET;
	memcpy(pkt->dst.a, p + 16, 4);
	pkt->proto = p[9];
	pkt->l3 = p;
	pkt->l3len = avail;

	frag = dec_be16(p + 6);
	if ((frag & 0x1fff) != 0)
		return DEC_FRAGMENT;
	if (pkt->proto == PROTO_IPV6 && depth == 0)
		return dec_6in4(p + ihl, avail - ihl, tot - ihl, pkt);
	return dec_l4(p + ihl, avail - ihl, tot - ihl, (frag & 0x2000) != 0,
	    pkt);
}

/* Options headers and AH share a layout; only the length unit differs. */
static size_t
dec_ipv6_exthdr_len(uint8_t nh, const uint8_t *p)
{
	if (nh == PROTO_AH)
		return ((size_t)p[1] + 2) * 4;
	return ((size_t)p[1] + 1) * 8;
}

static enum dec_result
dec_ipv6(const uint8_t *p, size_t len, struct dec_pkt *pkt)
{
	size_t		 decl, avail, off = IPV6_HLEN, hlen;
	uint8_t		 nh;
	uint16_t	 fo;
	int		 frag = 0, n;

	if (len < IPV6_HLEN)
		return DEC_TRUNCATED;
	nh = p[6];
	decl = IPV6_HLEN + (size_t)dec_be16(p + 4);
	/* A jumbogram says its length in a hop-by-hop option: trust the buffer. */
	if (decl == IPV6_HLEN && nh == PROTO_HOPOPTS)
		decl = len;
	avail = dec_min(decl, len);
	pkt->src.family = AF_INET6;
	memcpy(pkt->src.a, p + 8, 16);
	pkt->dst.family = AF_INET6;
	memcpy(pkt->dst.a, p + 24, 16);
	pkt->l3 = p;
	pkt->l3len = avail;

	for (n = 0; n < IPV6_MAX_EXTHDRS; n++) {
		pkt->proto = nh;
		switch (nh) {
		case PROTO_HOPOPTS:
		case PROTO_ROUTING:
		case PROTO_DSTOPTS:
		case PROTO_AH:
			if (avail - off < 2)
				return decl - off < 2 ? DEC_MALFORMED :
				    DEC_TRUNCATED;
			hlen = dec_ipv6_exthdr_len(nh, p + off);
			if (hlen > decl - off)
				return DEC_MALFORMED;
			if (hlen > avail - off)
				return DEC_TRUNCATED;
			nh = p[off];
			off += hlen;
			break;
		case PROTO_FRAGMENT:
			if (avail - off < 8)
				return decl - off < 8 ? DEC_MALFORMED :
				    DEC_TRUNCATED;
			fo = dec_be16(p + off + 2);
			nh = p[off];
			off += 8;
			if ((fo & 0xfff8) != 0) {
				pkt->proto = nh;
				return DEC_FRAGMENT;
			}
			frag = (fo & 1) != 0;
			break;
		case PROTO_ESP:
		case PROTO_NONE:
			/* Nothing readable follows: a flow without ports. */
			pkt->payload = p + off;
			pkt->paylen = nh == PROTO_ESP ? avail - off : 0;
			return DEC_OK;
		default:
			return dec_l4(p + off, avail - off, decl - off, frag,
			    pkt);
		}
	}
	return DEC_MALFORMED;
}

static enum dec_result
dec_ip_depth(const uint8_t *p, size_t len, struct dec_pkt *pkt, int depth)
{
	memset(pkt, 0, sizeof(*pkt));
	if (p == NULL || len == 0)
		return DEC_TRUNCATED;
	switch (p[0] >> 4) {
	case 4:
		return dec_ipv4(p, len, pkt, depth);
	case 6:
		return dec_ipv6(p, len, pkt);
	default:
		return DEC_MALFORMED;
	}
}

enum dec_result
dec_ip(const uint8_t *p, size_t len, struct dec_pkt *pkt)
{
	return dec_ip_depth(p, len, pkt, 0);
}
