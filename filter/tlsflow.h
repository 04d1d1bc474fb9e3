/*
 * What the engine knows of a TCP flow's client stream while it inspects
 * it: the bytes put back in order (stream.h), the first ClientHello in
 * them (tlshello.h), and the signs that the client is showing the gateway
 * something other than what the server will read:
 *   - segments that overlap bytes already seen with different data (a
 *     decoy sent with a short TTL, then the real one at the same place);
 *   - a second, different ClientHello.
 * Freed when the flow is decided.
 */
#ifndef SG_TLSFLOW_H
#define SG_TLSFLOW_H

#include <stdbool.h>

#include "stream.h"
#include "tlshello.h"

#define TLSF_EV_OVERLAP		0x01
#define TLSF_EV_SECOND_HELLO	0x02

struct tlsf {
	struct strm	 s;
	struct tlsh_hello hello;	/* the first ClientHello read */
	size_t		 hello_off;	/* where it starts in the stream */
	bool		 have_hello;
	enum tlsh_start	 start;		/* what the stream's first bytes are */
	bool		 answered;	/* server payload after the hello */
	bool		 spoke;		/* any server payload */
	bool		 malformed;	/* a ClientHello whose lengths lie */
	unsigned int	 evasion;	/* TLSF_EV_* */
};

struct tlsf	*tlsf_new(struct strm_budget *);
void		 tlsf_free(struct tlsf *);
/* A client payload segment. */
void		 tlsf_client(struct tlsf *, uint32_t seq, const uint8_t *,
		    size_t);
/* A server payload segment. */
void		 tlsf_server(struct tlsf *);
/* The client began with a TLS handshake (a ClientHello, read or not). */
bool		 tlsf_is_tls(const struct tlsf *);
/* The client's first bytes are a TLS record other than a handshake: the
 * flow was joined after its start. */
bool		 tlsf_midflow(const struct tlsf *);
/* The client has sent a ClientHello's worth of bytes that do not start
 * one, and the server has said nothing: its first segment is held back. */
bool		 tlsf_held_back(const struct tlsf *);

#endif
