/*
 * The answer a blocked lookup gets: the resolver's real answer turned
 * into NXDOMAIN, with an Extended DNS Error (RFC 8914) that says why, so
 * the client fails at once instead of waiting on resolver timeouts.
 * Every byte of the messages read here is untrusted.
 */
#ifndef SG_DNSREWRITE_H
#define SG_DNSREWRITE_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#define DNSRW_EDE_BLOCKED	15	/* RFC 8914 info-codes */
#define DNSRW_EDE_FILTERED	17
#define DNSRW_TEXT_MAX		200	/* bytes of EDE extra text kept */
/* 12 header + 255 name + 4 + OPT 11 + option 6 + text: room to spare */
#define DNSRW_OUT_MAX		512

/*
 * Whether msg is a DNS message of the kind wanted (a query when response
 * is false, a response otherwise) and carries an OPT record (EDNS).
 * Returns 0 with *id and *edns set, or -1 if it is malformed.
 */
int	 dnsrw_inspect(const uint8_t *msg, size_t len, bool response,
	    uint16_t *id, bool *edns);

/*
 * Build in out (at least DNSRW_OUT_MAX bytes) the NXDOMAIN answer for the
 * response msg: the same ID, opcode, RD, RA and CD, its first question
 * copied byte for byte (case kept, for 0x20 checks), no records; with
 * edns, an OPT record carrying EDE info_code and text.  Returns the
 * length, or -1 if msg is not a well-formed response.
 */
int	 dnsrw_nxdomain(const uint8_t *msg, size_t len, bool edns,
	    uint16_t info_code, const char *text, uint8_t *out, size_t outlen);

/*
 * Copy the response msg to out (at least len bytes) without the "ech"
 * SvcParam (key 5) of its HTTPS and SVCB records (RFC 9460), so that
 * browsers send the real name in the clear.  Every RDLENGTH shrinks with
 * its record and every compression pointer that crossed a removed
 * parameter is moved back.  Returns the new length, 0 if there was no
 * "ech" to remove (out then undefined), or -1 if msg is malformed.
 */
int	 dnsrw_strip_ech(const uint8_t *msg, size_t len, uint8_t *out,
	    size_t outlen);

#endif
