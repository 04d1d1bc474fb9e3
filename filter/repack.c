/*
 * Rebuilding a UDP packet around a new payload: the headers are copied
 * from the packet decode.c checked, then every length and checksum that
 * covers the payload is recomputed (RFC 1071 sums; UDP over IPv6 must
 * carry one, RFC 8200 8.1).
 */
#include <netinet/in.h>
#include <string.h>

#include "repack.h"

#define IP4_HDR_MIN	20
#define IP6_HDR_LEN	40
#define UDP_HDR_LEN	8

static uint32_t
sum_bytes(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t	 i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (i < len)
		sum += (uint32_t)p[i] << 8;
	return sum;
}

static uint16_t
sum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* The pseudo-header's sum: addresses, protocol and UDP length. */
static uint32_t
sum_pseudo(const uint8_t *ip, int v6, size_t udplen)
{
	uint32_t sum;

	if (v6)
		sum = sum_bytes(0, ip + 8, 32);
	else
		sum = sum_bytes(0, ip + 12, 8);
	return sum + IPPROTO_UDP + (uint32_t)(udplen >> 16) +
	    (uint32_t)(udplen & 0xffff);
}

int
repack_udp(const struct dec_pkt *p, const uint8_t *pay, size_t paylen,
    uint8_t *out, size_t outlen)
{
	size_t	 hdrs, len, ihl;
	uint8_t	*udp;
	uint16_t sum;
	int	 v6;

	if (p->proto != IPPROTO_UDP || p->tunnelled || p->l3len < IP4_HDR_MIN ||
	    p->payload < p->l3 + IP4_HDR_MIN + UDP_HDR_LEN)
		return -1;
	v6 = (p->l3[0] >> 4) == 6;
	hdrs = (size_t)(p->payload - p->l3);
	len = hdrs + paylen;
	if (len > outlen || len > 0xffff || (v6 && hdrs < IP6_HDR_LEN +
	    UDP_HDR_LEN))
		return -1;
	/* IPv4: neither "more fragments" nor an offset */
	if (!v6 && ((p->l3[6] & 0x3f) != 0 || p->l3[7] != 0))
		return -1;
	memcpy(out, p->l3, hdrs);
	memcpy(out + hdrs, pay, paylen);
	udp = out + hdrs - UDP_HDR_LEN;
	put16(udp + 4, (uint16_t)(UDP_HDR_LEN + paylen));
	put16(udp + 6, 0);
	if (v6)
		put16(out + 4, (uint16_t)(len - IP6_HDR_LEN));
	else {
		ihl = (size_t)(out[0] & 0x0f) * 4;
		put16(out + 2, (uint16_t)len);
		put16(out + 10, 0);
		put16(out + 10, sum_fold(sum_bytes(0, out, ihl)));
	}
	sum = sum_fold(sum_bytes(sum_pseudo(out, v6, UDP_HDR_LEN + paylen),
	    udp, UDP_HDR_LEN + paylen));
	put16(udp + 6, sum == 0 ? 0xffff : sum);
	return (int)len;
}
