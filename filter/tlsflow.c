/*
 * The client side of a TCP flow under inspection, read as TLS.  Each
 * client segment goes into the stream; the records from its start are
 * then walked again, so a ClientHello completed by a late or reordered
 * segment is read as soon as its last byte is there.
 */
#include <stdlib.h>
#include <string.h>

#include "tlsflow.h"

#define TLSF_HDR	5
/* the smallest ClientHello a browser sends is well above this */
#define TLSF_HELD_BACK	128

struct tlsf *
tlsf_new(struct strm_budget *b)
{
	struct tlsf *t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	strm_init(&t->s, TLSH_STREAM_MAX, b);
	return t;
}

void
tlsf_free(struct tlsf *t)
{
	if (t == NULL)
		return;
	strm_free(&t->s);
	free(t);
}

/*
 * A ClientHello at off: the first is kept.  Another one at another place
 * is evasion unless it is the same bytes (the same place holds the same
 * bytes, or the stream flags the overlap).
 */
static void
tlsf_hello(struct tlsf *t, const uint8_t *data, size_t len, size_t off,
    const struct tlsh_hello *h)
{
	if (!t->have_hello) {
		t->hello = *h;
		t->hello_off = off;
		t->have_hello = true;
		return;
	}
	if (off == t->hello_off)
		return;
	if (h->len != t->hello.len || t->hello_off > len ||
	    len - t->hello_off < h->len ||
	    memcmp(data + off, data + t->hello_off, h->len) != 0)
		t->evasion |= TLSF_EV_SECOND_HELLO;
}

/* Walk the records held without a gap from the stream's start. */
static void
tlsf_scan(struct tlsf *t, const uint8_t *data, size_t len)
{
	struct tlsh_hello h;
	size_t off = 0, rlen;

	while (off < len) {
		switch (tlsh_parse(data + off, len - off, &h)) {
		case TLSH_OK:
			tlsf_hello(t, data, len, off, &h);
			off += h.len;
			continue;
		case TLSH_MALFORMED:
			t->malformed = true;
			return;
		case TLSH_MORE:
			return;
		case TLSH_NOT_HELLO:
			break;
		}
		/* another record (or not TLS at all): step over it */
		if (tlsh_start(data + off, len - off) == TLSH_START_OTHER ||
		    len - off < TLSF_HDR)
			return;
		rlen = (size_t)data[off + 3] << 8 | data[off + 4];
		if (len - off - TLSF_HDR < rlen)
			return;
		off += TLSF_HDR + rlen;
	}
}

void
tlsf_client(struct tlsf *t, uint32_t seq, const uint8_t *p, size_t len)
{
	const uint8_t *data;
	size_t n;
	long moved;

	moved = strm_add(&t->s, seq, p, len);
	if (t->have_hello)
		t->hello_off += (size_t)moved;
	if (t->s.flags & STRM_F_OVERLAP_DIFF)
		t->evasion |= TLSF_EV_OVERLAP;
	data = strm_data(&t->s, &n);
	t->start = tlsh_start(data, n);
	tlsf_scan(t, data, n);
}

void
tlsf_server(struct tlsf *t)
{
	t->spoke = true;
	if (t->have_hello)
		t->answered = true;
}

bool
tlsf_is_tls(const struct tlsf *t)
{
	return t->have_hello || t->start == TLSH_START_HELLO;
}

bool
tlsf_held_back(const struct tlsf *t)
{
	return t->start == TLSH_START_OTHER && !t->spoke &&
	    t->s.end >= TLSF_HELD_BACK;
}

bool
tlsf_midflow(const struct tlsf *t)
{
	return !t->have_hello && t->start == TLSH_START_RECORD;
}
