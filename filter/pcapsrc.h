/*
 * Reading packets from a capture file (pcap or pcapng) through libpcap.
 * Errors come back as text that starts with the file name, for the top
 * level to print as it is.
 */
#ifndef SG_PCAPSRC_H
#define SG_PCAPSRC_H

#include <stddef.h>
#include <stdint.h>

struct pcapsrc;

struct pcapsrc_pkt {
	const uint8_t	*data;		/* valid until the next pcapsrc_next() */
	size_t		 caplen;	/* bytes in data */
	size_t		 origlen;	/* length on the wire */
	uint64_t	 ts_us;		/* microseconds since the epoch */
};

/* On error returns NULL and writes "FILE: reason" to err. */
struct pcapsrc	*pcapsrc_open(const char *path, char *err, size_t errlen);
void		 pcapsrc_close(struct pcapsrc *);

/* A DLT_ number, as DEC_LINK_* in decode.h. */
int		 pcapsrc_linktype(const struct pcapsrc *);
const char	*pcapsrc_name(const struct pcapsrc *);

/*
 * 1: a packet is in *pkt.  0: end of file.  -1: the file is damaged
 * ("FILE: truncated dump file; ..." in err); packets before the damage
 * have all been delivered.
 */
int		 pcapsrc_next(struct pcapsrc *, struct pcapsrc_pkt *, char *err,
		    size_t errlen);

/* Bytes of the file consumed so far and its size, for a progress bar. */
void		 pcapsrc_progress(const struct pcapsrc *, uint64_t *done,
		    uint64_t *total);

#endif
