/*
 * A thin libpcap reader.  The file is opened here, not by libpcap, so a
 * missing file gets errno's words and the FILE stream stays at hand for
 * progress (libpcap reads through it with stdio, so ftell is exact).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <pcap/pcap.h>

#include "pcapsrc.h"

struct pcapsrc {
	pcap_t		*pcap;
	FILE		*fp;		/* owned by pcap */
	uint64_t	 size;
	uint64_t	 consumed;	/* fallback when ftell fails */
	char		*name;
};

/* libpcap says "unknown file format" for anything it cannot read. */
static void
pcapsrc_open_error(const char *path, const char *why, char *err,
    size_t errlen)
{
	if (strstr(why, "unknown file format") != NULL)
		snprintf(err, errlen, "%s: not a pcap or pcapng file", path);
	else
		snprintf(err, errlen, "%s: %s", path, why);
}

struct pcapsrc *
pcapsrc_open(const char *path, char *err, size_t errlen)
{
	struct pcapsrc	*src;
	struct stat	 st;
	char		 pcaperr[PCAP_ERRBUF_SIZE] = "";

	if ((src = calloc(1, sizeof(*src))) == NULL ||
	    (src->name = strdup(path)) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(ENOMEM));
		goto free_src;
	}
	if ((src->fp = fopen(path, "rb")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto free_src;
	}
	if (fstat(fileno(src->fp), &st) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto close_fp;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: %s", path, S_ISDIR(st.st_mode) ?
		    strerror(EISDIR) : "not a regular file");
		goto close_fp;
	}
	src->size = (uint64_t)st.st_size;
	if (src->size == 0) {
		snprintf(err, errlen, "%s: empty file", path);
		goto close_fp;
	}
	src->pcap = pcap_fopen_offline_with_tstamp_precision(src->fp,
	    PCAP_TSTAMP_PRECISION_MICRO, pcaperr);
	if (src->pcap == NULL) {
		pcapsrc_open_error(path, pcaperr, err, errlen);
		goto close_fp;
	}
	return src;

 close_fp:
	fclose(src->fp);
 free_src:
	if (src != NULL)
		free(src->name);
	free(src);
	return NULL;
}

void
pcapsrc_close(struct pcapsrc *src)
{
	if (src == NULL)
		return;
	pcap_close(src->pcap);	/* closes fp too */
	free(src->name);
	free(src);
}

int
pcapsrc_linktype(const struct pcapsrc *src)
{
	return pcap_datalink(src->pcap);
}

const char *
pcapsrc_name(const struct pcapsrc *src)
{
	return src->name;
}

int
pcapsrc_next(struct pcapsrc *src, struct pcapsrc_pkt *pkt, char *err,
    size_t errlen)
{
	struct pcap_pkthdr	*hdr;
	const u_char		*data;
	int			 r;

	memset(pkt, 0, sizeof(*pkt));
	r = pcap_next_ex(src->pcap, &hdr, &data);
	if (r == PCAP_ERROR_BREAK)
		return 0;
	if (r != 1) {
		snprintf(err, errlen, "%s: %s", src->name,
		    pcap_geterr(src->pcap));
		return -1;
	}
	pkt->data = data;
	pkt->caplen = hdr->caplen;
	pkt->origlen = hdr->len;
	pkt->ts_us = (uint64_t)hdr->ts.tv_sec * 1000000 +
	    (uint64_t)hdr->ts.tv_usec;
	/* pcap's record header; pcapng's blocks are close enough for a bar. */
	src->consumed += 16 + (uint64_t)hdr->caplen;
	return 1;
}

void
pcapsrc_progress(const struct pcapsrc *src, uint64_t *done, uint64_t *total)
{
	long	 pos = ftell(src->fp);

	*total = src->size;
	*done = pos >= 0 ? (uint64_t)pos : src->consumed;
	if (*done > *total)
		*done = *total;
}
