/*
 * Packet decoding.  Every byte here came from an untrusted device: each
 * length is checked before it is read, and a packet that does not parse is
 * reported with a reason so the caller can count it and move on.
 */
#ifndef SG_DECODE_H
#define SG_DECODE_H

#include "sg.h"

enum dec_result {
	DEC_OK = 0,
	DEC_TRUNCATED,		/* shorter than its headers say */
	DEC_MALFORMED,		/* impossible header values */
	DEC_UNSUPPORTED,	/* not IP, or an unknown link type */
	DEC_FRAGMENT,		/* a non-first fragment: no ports to see */
	DEC_NRESULTS
};

/* Link types as libpcap's DLT_ numbers, so decode.c needs no pcap.h. */
#define DEC_LINK_NULL		0
#define DEC_LINK_ETHERNET	1
#define DEC_LINK_RAW		101	/* LINKTYPE_RAW (DLT_RAW is 12 or 14) */
#define DEC_LINK_LINUX_SLL	113
#define DEC_LINK_IPV4		228
#define DEC_LINK_IPV6		229
/* Also accepted: */
#define DEC_LINK_RAW_DLT12	12	/* DLT_RAW on most systems */
#define DEC_LINK_RAW_DLT14	14	/* DLT_RAW on OpenBSD */
#define DEC_LINK_LOOP		108	/* BSD loopback, like NULL */
#define DEC_LINK_LINUX_SLL2	276

struct dec_l2 {
	const uint8_t	*l3;		/* points into the caller's buffer */
	size_t		 l3len;
	int		 has_mac;
	uint8_t		 src_mac[6];
	uint16_t	 vlan;		/* outermost VLAN id, 0 if none */
};

struct dec_pkt {
	struct sg_addr	 src;
	struct sg_addr	 dst;
	uint16_t	 sport;		/* ICMP: type << 8 | code, dport 0 */
	uint16_t	 dport;
	uint8_t		 proto;		/* IPPROTO_TCP, _UDP, _ICMP, _ICMPV6... */
	uint8_t		 tcp_flags;	/* TH_SYN etc., 0 for non-TCP */
	uint32_t	 tcp_seq;	/* TCP sequence number, 0 for non-TCP */
	const uint8_t	*l3;		/* the IP header (inner one for 6in4) */
	size_t		 l3len;
	const uint8_t	*payload;	/* L4 payload */
	size_t		 paylen;
	uint8_t		 tunnelled;	/* 1 if l3 is the inner packet of 6in4 */
};

/*
 * Strip the link layer: Ethernet with 802.1Q/802.1ad/QinQ and PPPoE
 * session frames, Linux SLL, BSD NULL, raw IP.
 */
enum dec_result	 dec_link(int linktype, const uint8_t *, size_t, struct dec_l2 *);

/*
 * Decode an IPv4 or IPv6 packet (IPv6 extension headers walked, 6in4
 * unwrapped once).  l3len is clipped to the IP total length.  The first
 * fragment of a fragmented datagram decodes with its ports; later ones
 * return DEC_FRAGMENT.
 */
enum dec_result	 dec_ip(const uint8_t *, size_t, struct dec_pkt *);

const char	*dec_result_name(enum dec_result);

#endif
