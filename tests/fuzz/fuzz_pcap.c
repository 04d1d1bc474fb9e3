/*
 * A capture file through classify's path: pcapsrc_open on the bytes,
 * dec_link on each frame, a fresh engine per file (as classify_file
 * does), each ended flow turned into a record row and printed.
 */
#include "engine.h"
#include "output.h"
#include "pcapsrc.h"
#include "fuzzutil.h"

#define FUZZ_PCAP_MAX_PACKETS	4096	/* keeps one input fast */

static void
fuzz_pcap_ended(const struct eng_flow_view *v, void *arg)
{
	struct out_summary *sum = arg;
	struct rec_flow r;

	eng_view_to_record(v, "fuzz.pcap", 0, &r);
	out_flow(fuzz_devnull(), true, v, &r);
	out_summary_add(sum, &r);
}

static struct cls_module *
fuzz_pcap_cls(void)
{
	static struct cls_module *cls;
	char err[256];

	if (cls == NULL &&
	    (cls = cls_module_new(NULL, err, sizeof(err))) == NULL) {
		fprintf(stderr, "fuzz_pcap: nDPI: %s\n", err);
		abort();
	}
	return cls;
}

static void
fuzz_pcap_run(struct pcapsrc *src, struct eng *e, struct out_summary *sum)
{
	struct pcapsrc_pkt pkt;
	struct eng_verdict v;
	struct eng_pkt ep;
	struct dec_l2 l2;
	char err[512];
	unsigned int n = 0;

	while (n++ < FUZZ_PCAP_MAX_PACKETS &&
	    pcapsrc_next(src, &pkt, err, sizeof(err)) == 1) {
		if (dec_link(pcapsrc_linktype(src), pkt.data, pkt.caplen,
		    &l2) != DEC_OK) {
			sum->undecodable++;
			continue;
		}
		ep = (struct eng_pkt){ l2.l3, l2.l3len, pkt.ts_us,
		    l2.has_mac ? l2.src_mac : NULL, NULL };
		eng_packet(e, &ep, &v);
		if ((n & 0xff) == 0)
			eng_expire(e, pkt.ts_us);
	}
}

int
fuzz_one_pcap(const uint8_t *data, size_t size)
{
	struct out_summary sum;
	struct eng_opts eo;
	struct pcapsrc *src;
	struct eng *e;
	char path[64], err[512];
	uint64_t done, total;
	int fd;

	if ((fd = fuzz_memfile(data, size, path, sizeof(path))) == -1)
		return 0;
	if ((src = pcapsrc_open(path, err, sizeof(err))) == NULL)
		goto close;
	memset(&sum, 0, sizeof(sum));
	memset(&eo, 0, sizeof(eo));
	eo.as_group = -1;
	eo.as_device = -1;
	eo.max_flows = 1024;
	eo.on_end = fuzz_pcap_ended;
	eo.arg = &sum;
	if ((e = eng_new(fuzz_config(), fuzz_pcap_cls(), &eo)) == NULL)
		abort();
	fuzz_pcap_run(src, e, &sum);
	pcapsrc_progress(src, &done, &total);
	out_summary_engine(&sum, eng_stats(e));
	eng_free(e);
	out_summary_print(fuzz_devnull(), &sum);
	pcapsrc_close(src);
 close:
	close(fd);
	return 0;
}

#ifndef FUZZ_NO_MAIN
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_one_pcap(data, size);
}
#endif
