/*
 * NXDOMAIN with an Extended DNS Error in place of a blocked lookup's
 * answer.  Each read is checked against the message length first.
 */
#include <string.h>

#include "dnsrewrite.h"

#define DNS_HDR_LEN		12
#define DNS_QR			0x8000
#define DNS_KEEP_FLAGS		0x7990	/* opcode, RD, RA, CD */
#define DNS_RCODE_NXDOMAIN	3
#define DNS_TYPE_OPT		41
#define DNS_EDNS_UDP_SIZE	1232	/* the DNS flag day 2020 value */
#define DNS_OPT_EDE		15
#define DNS_LABEL_MAX		63
#define DNS_WIRE_NAME_MAX	255
#define DNS_PTR_HOPS		16

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/*
 * Move *off past a name.  With plain set, a compression pointer is
 * refused: a question copied byte for byte must stand alone.
 */
static int
skip_name(const uint8_t *msg, size_t len, size_t *off, bool plain)
{
	size_t	 pos = *off, wire = 0;

	for (;;) {
		if (pos >= len)
			return -1;
		if ((msg[pos] & 0xc0) == 0xc0) {
			if (plain || pos + 1 >= len)
				return -1;
			*off = pos + 2;	/* where it points is not read */
			return 0;
		}
		if ((msg[pos] & 0xc0) != 0 || msg[pos] > DNS_LABEL_MAX)
			return -1;
		wire += 1 + (size_t)msg[pos];
		if (wire > DNS_WIRE_NAME_MAX)
			return -1;
		if (msg[pos] == 0)
			break;
		pos += 1 + (size_t)msg[pos];
	}
	*off = pos + 1;
	return 0;
}

/* Past the question section; *qend is where the first question ends. */
static int
skip_questions(const uint8_t *msg, size_t len, size_t *off, size_t *qend)
{
	uint16_t qd = get16(msg + 4);

	if (qd == 0)
		return -1;
	for (uint16_t i = 0; i < qd; i++) {
		if (skip_name(msg, len, off, i == 0) == -1 || len - *off < 4)
			return -1;
		*off += 4;
		if (i == 0)
			*qend = *off;
	}
	return 0;
}

int
dnsrw_inspect(const uint8_t *msg, size_t len, bool response, uint16_t *id,
    bool *edns)
{
	size_t	 off = DNS_HDR_LEN, qend, nrr;
	uint16_t rdlen;

	*edns = false;
	if (len < DNS_HDR_LEN || ((get16(msg + 2) & DNS_QR) != 0) != response)
		return -1;
	*id = get16(msg);
	if (skip_questions(msg, len, &off, &qend) == -1)
		return -1;
	nrr = (size_t)get16(msg + 6) + get16(msg + 8) + get16(msg + 10);
	for (size_t i = 0; i < nrr; i++) {
		if (skip_name(msg, len, &off, false) == -1 || len - off < 10)
			return -1;
		if (get16(msg + off) == DNS_TYPE_OPT)
			*edns = true;
		rdlen = get16(msg + off + 8);
		off += 10;
		if (len - off < rdlen)
			return -1;
		off += rdlen;
	}
	return 0;
}

/* The OPT pseudo-record with one EDE option; returns its length. */
static size_t
put_opt_ede(uint8_t *p, uint16_t info_code, const char *text)
{
	size_t	 tlen = strnlen(text, DNSRW_TEXT_MAX);

	p[0] = 0;				/* root owner */
	put16(p + 1, DNS_TYPE_OPT);
	put16(p + 3, DNS_EDNS_UDP_SIZE);	/* class: UDP payload size */
	memset(p + 5, 0, 4);			/* ext. rcode, version, flags */
	put16(p + 9, (uint16_t)(6 + tlen));	/* rdlen */
	put16(p + 11, DNS_OPT_EDE);
	put16(p + 13, (uint16_t)(2 + tlen));
	put16(p + 15, info_code);
	memcpy(p + 17, text, tlen);
	return 17 + tlen;
}

int
dnsrw_nxdomain(const uint8_t *msg, size_t len, bool edns, uint16_t info_code,
    const char *text, uint8_t *out, size_t outlen)
{
	size_t	 off = DNS_HDR_LEN, qend = 0, n;
	uint16_t flags;

	if (outlen < DNSRW_OUT_MAX || len < DNS_HDR_LEN ||
	    (get16(msg + 2) & DNS_QR) == 0 ||
	    skip_questions(msg, len, &off, &qend) == -1)
		return -1;
	memcpy(out, msg, 2);				/* ID */
	flags = (get16(msg + 2) & DNS_KEEP_FLAGS) | DNS_QR | DNS_RCODE_NXDOMAIN;
	put16(out + 2, flags);
	put16(out + 4, 1);
	put16(out + 6, 0);
	put16(out + 8, 0);
	put16(out + 10, edns ? 1 : 0);
	n = qend - DNS_HDR_LEN;		/* at most 255 + 4 by skip_name */
	memcpy(out + DNS_HDR_LEN, msg + DNS_HDR_LEN, n);
	n += DNS_HDR_LEN;
	if (edns)
		n += put_opt_ede(out + n, info_code, text);
	return (int)n;
}
