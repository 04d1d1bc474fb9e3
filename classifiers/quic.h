/*
 * Whether a UDP payload is the first packet a QUIC client sends, on any
 * port: an IETF long-header Initial (versions 1 and 2, the drafts, and
 * Facebook's mvfst) or a gQUIC packet with its version (Q024..Q050,
 * T050, T051): the versions nDPI 4.2 knows.  No nDPI and no decryption:
 * the header alone, every length checked.
 */
#ifndef SG_QUIC_H
#define SG_QUIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define QUIC_V1			0x00000001u
#define QUIC_V2			0x6b3343cfu	/* RFC 9369 */
#define QUIC_MIN_INITIAL	1200	/* a client's Initial datagram, RFC
					   9000 14.1 */

bool	 quic_is_initial(const uint8_t *pay, size_t len);

#endif
