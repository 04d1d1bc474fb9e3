/*
 * A packet as NFQUEUE delivers it (or a frame as a capture holds it),
 * through decode, flow, classify, identify and decide.  One engine lives
 * across inputs, as in the daemon, with a small flow table so memory
 * stays bounded however long the fuzzer runs.
 *
 * Input: byte 0 picks the link layer (0: raw L3, as NFQUEUE gives it;
 * otherwise a DEC_LINK_* type from the table below, run through
 * dec_link), then packets as [u16 big-endian length][bytes]... so one
 * input can carry a whole handshake.
 */
#include "engine.h"
#include "output.h"
#include "fuzzutil.h"

#define FUZZ_PACKET_FLOWS	256
#define FUZZ_PACKET_STEP_US	10000	/* 10 ms between packets */

static const int fuzz_packet_links[] = {
	-1, DEC_LINK_NULL, DEC_LINK_ETHERNET, DEC_LINK_RAW,
	DEC_LINK_LINUX_SLL, DEC_LINK_IPV4, DEC_LINK_IPV6, DEC_LINK_RAW_DLT12,
	DEC_LINK_RAW_DLT14, DEC_LINK_LOOP, DEC_LINK_LINUX_SLL2, 9999,
};

static void
fuzz_packet_ended(const struct eng_flow_view *v, void *arg)
{
	struct rec_flow r;
	uint64_t *n = arg;

	/* the record row and both output forms escape hostile names */
	eng_view_to_record(v, "fuzz", 0, &r);
	out_flow(fuzz_devnull(), (++*n & 1) != 0, v, &r);
}

static struct eng *
fuzz_packet_engine(void)
{
	static struct eng *e;
	static uint64_t ended;
	static struct cls_module *cls;
	struct eng_opts eo;
	char err[256];

	if (e != NULL)
		return e;
	if ((cls = cls_module_new(NULL, err, sizeof(err))) == NULL) {
		fprintf(stderr, "fuzz_packet: nDPI: %s\n", err);
		abort();
	}
	memset(&eo, 0, sizeof(eo));
	eo.as_group = -1;
	eo.as_device = -1;
	eo.max_flows = FUZZ_PACKET_FLOWS;
	eo.quic_fallback = true;	/* the live path's extra branch */
	eo.on_end = fuzz_packet_ended;
	eo.arg = &ended;
	if ((e = eng_new(fuzz_config(), cls, &eo)) == NULL)
		abort();
	return e;
}

static void
fuzz_packet_one_frame(struct eng *e, int link, const uint8_t *p, size_t len,
    uint64_t ts_us)
{
	struct eng_verdict v;
	struct eng_pkt ep;
	struct dec_l2 l2;

	memset(&ep, 0, sizeof(ep));
	ep.ts_us = ts_us;
	if (link < 0) {
		ep.l3 = p;
		ep.len = len;
	} else {
		if (dec_link(link, p, len, &l2) != DEC_OK)
			return;
		ep.l3 = l2.l3;
		ep.len = l2.l3len;
		ep.mac = l2.has_mac ? l2.src_mac : NULL;
		ep.iface = "lan0";
	}
	eng_packet(e, &ep, &v);
}

int
fuzz_one_packet(const uint8_t *data, size_t size)
{
	static uint64_t now_us = 1795514400ULL * 1000000;	/* a term day */
	static uint64_t inputs;
	struct eng *e = fuzz_packet_engine();
	size_t off = 1, len;
	int link;

	if (size < 1)
		return 0;
	link = fuzz_packet_links[data[0] % (sizeof(fuzz_packet_links) /
	    sizeof(fuzz_packet_links[0]))];
	while (size - off >= 2) {
		len = (size_t)data[off] << 8 | data[off + 1];
		off += 2;
		if (len > size - off)
			len = size - off;
		/* a private copy, so ASan sees any read past the packet */
		uint8_t *copy = malloc(len ? len : 1);
		if (copy == NULL)
			abort();
		memcpy(copy, data + off, len);
		fuzz_packet_one_frame(e, link, copy, len, now_us);
		free(copy);
		off += len;
		now_us += FUZZ_PACKET_STEP_US;
	}
	/* time moves on between inputs so flows also end by timeout */
	if ((++inputs & 0xff) == 0)
		eng_expire(e, now_us += 600ULL * 1000000);
	return 0;
}

#ifndef FUZZ_NO_MAIN
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_one_packet(data, size);
}
#endif
