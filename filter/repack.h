/*
 * A decoded UDP packet with its payload replaced, for verdicts that hand
 * the kernel a rewritten packet (a blocked lookup's NXDOMAIN).  Lengths
 * and checksums are computed afresh: the kernel checks none of them on a
 * packet it gets back from the queue.
 */
#ifndef SG_REPACK_H
#define SG_REPACK_H

#include "decode.h"

/*
 * Write to out the IP and UDP headers of p (IPv4 or IPv6, extension
 * headers and options kept) followed by pay.  Returns the packet's
 * length, or -1 if p is not plain UDP (a fragment, a tunnelled packet)
 * or out is too small.
 */
int	 repack_udp(const struct dec_pkt *p, const uint8_t *pay, size_t paylen,
	    uint8_t *out, size_t outlen);

#endif
