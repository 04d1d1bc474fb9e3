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

#define DNS_TYPE_SVCB		64
#define DNS_TYPE_HTTPS		65
#define DNS_SVC_MANDATORY	0	/* RFC 9460 14.3.2 */
#define DNS_SVC_ECH		5
#define DNS_CUTS_MAX		32	/* "ech" params removed per message */

/* A copy under way: where each removed byte range was in the input. */
struct dnsrw_copy {
	const uint8_t	*msg;
	size_t		 len;
	size_t		 in;		/* read offset in msg */
	uint8_t		*out;
	size_t		 outlen;
	size_t		 pos;		/* write offset in out */
	size_t		 cut_at[DNS_CUTS_MAX];
	size_t		 cut_len[DNS_CUTS_MAX];
	size_t		 ncuts;
};

static int
copy_bytes(struct dnsrw_copy *c, size_t n)
{
	if (c->len - c->in < n || c->outlen - c->pos < n)
		return -1;
	memcpy(c->out + c->pos, c->msg + c->in, n);
	c->in += n;
	c->pos += n;
	return 0;
}

/* Where an input offset lands in the output; -1 inside a removed range. */
static long
remap(const struct dnsrw_copy *c, size_t at)
{
	size_t	 gone = 0;

	for (size_t i = 0; i < c->ncuts; i++) {
		if (at >= c->cut_at[i] + c->cut_len[i])
			gone += c->cut_len[i];
		else if (at >= c->cut_at[i])
			return -1;
	}
	return (long)(at - gone);
}

/*
 * Copy a name.  A compression pointer must point back (RFC 1035 4.1.4:
 * to a prior occurrence) and is moved by what was removed before it.
 */
static int
copy_name(struct dnsrw_copy *c)
{
	size_t	 start = c->in, at;
	long	 to;

	if (skip_name(c->msg, c->len, &start, false) == -1)
		return -1;
	while (c->msg[c->in] != 0 && (c->msg[c->in] & 0xc0) != 0xc0)
		if (copy_bytes(c, 1 + (size_t)c->msg[c->in]) == -1)
			return -1;
	if (c->msg[c->in] == 0)
		return copy_bytes(c, 1);
	at = (size_t)(get16(c->msg + c->in) & 0x3fff);
	if (at >= c->in || (to = remap(c, at)) == -1 ||
	    c->outlen - c->pos < 2)
		return -1;
	put16(c->out + c->pos, (uint16_t)(0xc000 | to));
	c->in += 2;
	c->pos += 2;
	return 0;
}

/* Leave n input bytes out of the copy. */
static int
cut(struct dnsrw_copy *c, size_t n)
{
	if (c->ncuts == DNS_CUTS_MAX || c->len - c->in < n)
		return -1;
	c->cut_at[c->ncuts] = c->in;
	c->cut_len[c->ncuts++] = n;
	c->in += n;
	return 0;
}

/*
 * The "mandatory" SvcParam (key 0) without "ech" in its list: a client
 * must ignore a record whose mandatory keys are missing (RFC 9460 8).
 * If "ech" was all it listed, the whole parameter goes.
 */
static int
copy_mandatory(struct dnsrw_copy *c, uint16_t vlen)
{
	size_t	 keep = 0, lenat;

	for (size_t i = 0; i + 1 < vlen; i += 2)
		if (get16(c->msg + c->in + 4 + i) != DNS_SVC_ECH)
			keep++;
	if (keep == vlen / 2 || (vlen & 1))
		return copy_bytes(c, 4 + (size_t)vlen);
	if (keep == 0)
		return cut(c, 4 + (size_t)vlen);
	lenat = c->pos + 2;
	if (copy_bytes(c, 4) == -1)
		return -1;
	put16(c->out + lenat, (uint16_t)(keep * 2));
	for (size_t i = 0; i < vlen; i += 2)
		if ((get16(c->msg + c->in) == DNS_SVC_ECH ? cut(c, 2) :
		    copy_bytes(c, 2)) == -1)
			return -1;
	return 0;
}

/* SvcPriority, TargetName, then the SvcParams without "ech". */
static int
copy_svcb(struct dnsrw_copy *c, size_t end)
{
	uint16_t key, vlen;
	int	 rc;

	if (copy_bytes(c, 2) == -1 || copy_name(c) == -1)
		return -1;
	while (c->in < end) {
		if (end - c->in < 4)
			return -1;
		key = get16(c->msg + c->in);
		vlen = get16(c->msg + c->in + 2);
		if (end - c->in - 4 < vlen)
			return -1;
		if (key == DNS_SVC_MANDATORY)
			rc = copy_mandatory(c, vlen);
		else if (key == DNS_SVC_ECH)
			rc = cut(c, 4 + (size_t)vlen);
		else
			rc = copy_bytes(c, 4 + (size_t)vlen);
		if (rc == -1)
			return -1;
	}
	return 0;
}

/*
 * RDATA: names in the types RFC 1035 lets a server compress are copied
 * as names; any other type's RDATA holds no pointers (RFC 3597 4).
 */
static int
copy_rdata(struct dnsrw_copy *c, uint16_t type, size_t end)
{
	int	 rc = 0;

	switch (type) {
	case DNS_TYPE_SVCB:
	case DNS_TYPE_HTTPS:
		rc = copy_svcb(c, end);
		break;
	case 2: case 3: case 4: case 5: case 7: case 8: case 9: case 12:
		rc = copy_name(c);		/* NS .. PTR: one name */
		break;
	case 6:					/* SOA: two names, 5 numbers */
	case 14:				/* MINFO: two names */
		rc = copy_name(c) == -1 ? -1 : copy_name(c);
		break;
	case 15:				/* MX: preference, name */
		rc = copy_bytes(c, 2) == -1 ? -1 : copy_name(c);
		break;
	}
	if (rc == -1 || c->in > end)
		return -1;
	return copy_bytes(c, end - c->in);
}

static int
copy_rr(struct dnsrw_copy *c)
{
	size_t	 rdlen_at, rd_start, end;
	uint16_t type;

	if (copy_name(c) == -1 || c->len - c->in < 10)
		return -1;
	type = get16(c->msg + c->in);
	end = c->in + 10 + get16(c->msg + c->in + 8);
	if (end > c->len || copy_bytes(c, 10) == -1)
		return -1;
	rdlen_at = c->pos - 2;
	rd_start = c->pos;
	if (copy_rdata(c, type, end) == -1)
		return -1;
	put16(c->out + rdlen_at, (uint16_t)(c->pos - rd_start));
	return 0;
}

int
dnsrw_strip_ech(const uint8_t *msg, size_t len, uint8_t *out, size_t outlen)
{
	struct dnsrw_copy c;
	size_t	 nrr;
	uint16_t qd;

	if (len < DNS_HDR_LEN || (get16(msg + 2) & DNS_QR) == 0 ||
	    outlen < len)
		return -1;
	memset(&c, 0, sizeof(c));
	c.msg = msg;
	c.len = len;
	c.out = out;
	c.outlen = outlen;
	if (copy_bytes(&c, DNS_HDR_LEN) == -1)
		return -1;
	qd = get16(msg + 4);
	for (uint16_t i = 0; i < qd; i++)
		if (copy_name(&c) == -1 || copy_bytes(&c, 4) == -1)
			return -1;
	nrr = (size_t)get16(msg + 6) + get16(msg + 8) + get16(msg + 10);
	for (size_t i = 0; i < nrr; i++)
		if (copy_rr(&c) == -1)
			return -1;
	if (c.ncuts == 0)
		return 0;
	/* trailing bytes past the last record are kept, as the client
	 * would have read them */
	if (copy_bytes(&c, len - c.in) == -1)
		return -1;
	return (int)c.pos;
}
