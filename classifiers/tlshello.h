/*
 * The TLS ClientHello, read from the start of a client's byte stream
 * without nDPI: the name the client asks for (SNI), whether it hides the
 * real one (Encrypted Client Hello), and the protocols it offers (ALPN).
 * Every length is checked against the bytes that hold it; a ClientHello
 * split over several handshake records is put back together.
 */
#ifndef SG_TLSHELLO_H
#define SG_TLSHELLO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sg.h"

#define TLSH_RECORD_MAX	16384		/* a plaintext record's body */
#define TLSH_HELLO_MAX	16384		/* the ClientHello we accept */
/* What a caller keeps to read a whole ClientHello: one full record, or a
 * few records carrying one message, plus the next record's header. */
#define TLSH_STREAM_MAX	(TLSH_HELLO_MAX + 4 + 5 * 8 + 5)

enum tlsh_status {
	TLSH_OK = 0,
	TLSH_MORE,		/* a ClientHello so far: more bytes needed */
	TLSH_NOT_HELLO,		/* not a TLS handshake record with a ClientHello */
	TLSH_MALFORMED,		/* it claims to be one, but its lengths lie */
};

/* What the first bytes of a stream look like. */
enum tlsh_start {
	TLSH_START_UNKNOWN = 0,	/* too short to say */
	TLSH_START_HELLO,	/* a handshake record holding a ClientHello */
	TLSH_START_RECORD,	/* another TLS record: joined mid-flow */
	TLSH_START_OTHER,	/* not a TLS record */
};

struct tlsh_hello {
	char		 sni[SG_HOST_MAX];	/* lower case; "" if none */
	bool		 sni_invalid;	/* present, but not a host name */
	bool		 ech;		/* encrypted_client_hello (0xfe0d) */
	char		 alpn[64];	/* "h2,http/1.1", cut short if long */
	size_t		 len;		/* stream bytes of the records read */
};

enum tlsh_start	 tlsh_start(const uint8_t *, size_t);
/* Parse the ClientHello at the start of buf (a record boundary). */
enum tlsh_status tlsh_parse(const uint8_t *buf, size_t len,
		    struct tlsh_hello *);

#endif
