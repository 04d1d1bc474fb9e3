/*
 * A bounds-checked ClientHello reader (RFC 8446 4.1.2, RFC 6066 3,
 * RFC 7301, and the ECH draft's extension number).  It never trusts a
 * length: each one is checked against what encloses it, and any that
 * disagree make the whole hello malformed.
 */
#include <ctype.h>
#include <string.h>

#include "tlshello.h"

#define TLSH_CT_CCS		20
#define TLSH_CT_HEARTBEAT	24
#define TLSH_CT_HANDSHAKE	22
#define TLSH_HS_CLIENT_HELLO	1
#define TLSH_EXT_SNI		0x0000
#define TLSH_EXT_ALPN		0x0010
#define TLSH_EXT_ECH		0xfe0d
#define TLSH_HDR		5
#define TLSH_HS_HDR		4
/* a record's body may grow by this much when protected (RFC 8446 5.2) */
#define TLSH_CIPHER_MAX		(TLSH_RECORD_MAX + 256)

struct tlsh_rd {
	const uint8_t	*p;
	size_t		 len;
	size_t		 off;
};

static bool
rd_bytes(struct tlsh_rd *r, size_t n, const uint8_t **out)
{
	if (r->len - r->off < n)
		return false;
	*out = r->p + r->off;
	r->off += n;
	return true;
}

static bool
rd_u8(struct tlsh_rd *r, size_t *v)
{
	const uint8_t *b;

	if (!rd_bytes(r, 1, &b))
		return false;
	*v = b[0];
	return true;
}

static bool
rd_u16(struct tlsh_rd *r, size_t *v)
{
	const uint8_t *b;

	if (!rd_bytes(r, 2, &b))
		return false;
	*v = (size_t)b[0] << 8 | b[1];
	return true;
}

/* A sub-reader over the next n bytes, which must all be there. */
static bool
rd_sub(struct tlsh_rd *r, size_t n, struct tlsh_rd *sub)
{
	const uint8_t *b;

	if (!rd_bytes(r, n, &b))
		return false;
	sub->p = b;
	sub->len = n;
	sub->off = 0;
	return true;
}

/* A u16-length-prefixed vector that fills its enclosing reader exactly. */
static bool
rd_vec16_exact(struct tlsh_rd *r, struct tlsh_rd *sub)
{
	size_t n;

	return rd_u16(r, &n) && n == r->len - r->off && rd_sub(r, n, sub);
}

static bool
tlsh_record_hdr(const uint8_t *p, size_t len, size_t *type)
{
	if (len < 3 || p[0] < TLSH_CT_CCS || p[0] > TLSH_CT_HEARTBEAT ||
	    p[1] != 3 || p[2] > 4)
		return false;
	if (len >= TLSH_HDR && ((size_t)p[3] << 8 | p[4]) > TLSH_CIPHER_MAX)
		return false;
	*type = p[0];
	return true;
}

enum tlsh_start
tlsh_start(const uint8_t *p, size_t len)
{
	size_t type;

	if (len == 0)
		return TLSH_START_UNKNOWN;
	if (p[0] < TLSH_CT_CCS || p[0] > TLSH_CT_HEARTBEAT)
		return TLSH_START_OTHER;
	if (len < TLSH_HDR)
		return TLSH_START_UNKNOWN;
	if (!tlsh_record_hdr(p, len, &type))
		return TLSH_START_OTHER;
	if (type != TLSH_CT_HANDSHAKE)
		return TLSH_START_RECORD;
	if (len == TLSH_HDR)
		return TLSH_START_UNKNOWN;
	/* a ServerHello first: the capture began with the server's side */
	return p[TLSH_HDR] == TLSH_HS_CLIENT_HELLO ? TLSH_START_HELLO :
	    TLSH_START_RECORD;
}

/* A host name as DNS spells it; lower-cased into out.  One final dot
 * (the root) is dropped. */
static bool
tlsh_host(const uint8_t *name, size_t n, char *out, size_t outlen)
{
	if (n > 0 && name[n - 1] == '.')
		n--;
	if (n == 0 || n > 253 || n >= outlen)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!isalnum(name[i]) && name[i] != '-' && name[i] != '.' &&
		    name[i] != '_') {
			out[0] = '\0';
			return false;
		}
		out[i] = (char)tolower(name[i]);
	}
	out[n] = '\0';
	return true;
}

static bool
tlsh_sni(struct tlsh_rd *ext, struct tlsh_hello *h)
{
	struct tlsh_rd list, name;
	size_t type;

	if (!rd_vec16_exact(ext, &list) || list.len == 0)
		return false;
	while (list.off < list.len) {
		if (!rd_u8(&list, &type) || !rd_u16(&list, &name.len) ||
		    !rd_sub(&list, name.len, &name))
			return false;
		if (type != 0 || h->sni[0] != '\0' || h->sni_invalid)
			continue;
		if (!tlsh_host(name.p, name.len, h->sni, sizeof(h->sni)))
			h->sni_invalid = true;
	}
	return true;
}

/* The offered protocols, comma separated; bytes that are not printable
 * become '?' (the name is only ever shown). */
static bool
tlsh_alpn(struct tlsh_rd *ext, struct tlsh_hello *h)
{
	struct tlsh_rd list;
	const uint8_t *b;
	size_t n, o = 0;

	if (!rd_vec16_exact(ext, &list) || list.len == 0)
		return false;
	while (list.off < list.len) {
		if (!rd_u8(&list, &n) || n == 0 || !rd_bytes(&list, n, &b))
			return false;
		if (o > 0 && o + 1 < sizeof(h->alpn))
			h->alpn[o++] = ',';
		for (size_t i = 0; i < n && o + 1 < sizeof(h->alpn); i++)
			h->alpn[o++] = b[i] > 0x20 && b[i] < 0x7f && b[i] != ',' ?
			    (char)b[i] : '?';
	}
	h->alpn[o] = '\0';
	return true;
}

static bool
tlsh_extensions(struct tlsh_rd *body, struct tlsh_hello *h)
{
	struct tlsh_rd exts, ext;
	size_t type;
	bool sni = false, alpn = false;

	if (body->off == body->len)	/* no extensions at all */
		return true;
	if (!rd_vec16_exact(body, &exts))
		return false;
	while (exts.off < exts.len) {
		if (!rd_u16(&exts, &type) || !rd_u16(&exts, &ext.len) ||
		    !rd_sub(&exts, ext.len, &ext))
			return false;
		/* a repeated extension is refused by servers (RFC 8446 4.2) */
		if ((type == TLSH_EXT_SNI && sni) ||
		    (type == TLSH_EXT_ALPN && alpn) ||
		    (type == TLSH_EXT_ECH && h->ech))
			return false;
		if (type == TLSH_EXT_SNI && !(sni = tlsh_sni(&ext, h)))
			return false;
		if (type == TLSH_EXT_ALPN && !(alpn = tlsh_alpn(&ext, h)))
			return false;
		if (type == TLSH_EXT_ECH)
			h->ech = true;
	}
	return true;
}

static enum tlsh_status
tlsh_body(const uint8_t *p, size_t len, struct tlsh_hello *h)
{
	struct tlsh_rd body = { p, len, 0 };
	const uint8_t *b;
	size_t n;

	if (!rd_bytes(&body, 2 + 32, &b) ||		/* version, random */
	    !rd_u8(&body, &n) || n > 32 || !rd_bytes(&body, n, &b) ||
	    !rd_u16(&body, &n) || n < 2 || n % 2 != 0 ||
	    !rd_bytes(&body, n, &b) ||			/* cipher suites */
	    !rd_u8(&body, &n) || n < 1 || !rd_bytes(&body, n, &b) ||
	    !tlsh_extensions(&body, h))
		return TLSH_MALFORMED;
	return TLSH_OK;
}

/*
 * Gather the handshake message from consecutive handshake records into
 * msg (pointing into buf when one record holds it all).
 */
static enum tlsh_status
tlsh_gather(const uint8_t *buf, size_t len, uint8_t *scratch,
    const uint8_t **msg, size_t *msglen, size_t *used)
{
	size_t off = 0, have = 0, need = 0, rlen, type;

	while (have < TLSH_HS_HDR || have < need) {
		if (len - off < TLSH_HDR)
			return TLSH_MORE;
		if (!tlsh_record_hdr(buf + off, len - off, &type) ||
		    type != TLSH_CT_HANDSHAKE)
			return off == 0 ? TLSH_NOT_HELLO : TLSH_MALFORMED;
		rlen = (size_t)buf[off + 3] << 8 | buf[off + 4];
		if (rlen == 0 || rlen > TLSH_RECORD_MAX)
			return TLSH_MALFORMED;
		if (len - off - TLSH_HDR < rlen)
			return TLSH_MORE;
		if (off == 0 && rlen >= TLSH_HS_HDR) {
			*msg = buf + TLSH_HDR;	/* maybe whole: no copy yet */
		} else {
			if (have == 0 && off == 0)
				*msg = scratch;
			if (*msg != scratch) {	/* the first record was short */
				memcpy(scratch, *msg, have);
				*msg = scratch;
			}
			if (have + rlen > TLSH_HELLO_MAX + TLSH_HS_HDR)
				return TLSH_MALFORMED;
			memcpy(scratch + have, buf + off + TLSH_HDR, rlen);
		}
		have += rlen;
		off += TLSH_HDR + rlen;
		if (have >= TLSH_HS_HDR && need == 0) {
			if ((*msg)[0] != TLSH_HS_CLIENT_HELLO)
				return TLSH_NOT_HELLO;
			need = TLSH_HS_HDR + ((size_t)(*msg)[1] << 16 |
			    (size_t)(*msg)[2] << 8 | (*msg)[3]);
			if (need > TLSH_HELLO_MAX + TLSH_HS_HDR)
				return TLSH_MALFORMED;
		}
	}
	/* the client's first flight is the ClientHello alone */
	if (have != need)
		return TLSH_MALFORMED;
	*msglen = need;
	*used = off;
	return TLSH_OK;
}

enum tlsh_status
tlsh_parse(const uint8_t *buf, size_t len, struct tlsh_hello *h)
{
	uint8_t scratch[TLSH_HELLO_MAX + TLSH_HS_HDR];
	const uint8_t *msg = NULL;
	size_t msglen = 0, used = 0;
	enum tlsh_status st;

	memset(h, 0, sizeof(*h));
	st = tlsh_gather(buf, len, scratch, &msg, &msglen, &used);
	if (st != TLSH_OK)
		return st;
	if ((st = tlsh_body(msg + TLSH_HS_HDR, msglen - TLSH_HS_HDR, h)) !=
	    TLSH_OK) {
		memset(h, 0, sizeof(*h));
		return st;
	}
	h->len = used;
	return TLSH_OK;
}
