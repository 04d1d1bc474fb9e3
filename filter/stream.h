/*
 * A bounded reassembly buffer for one direction of a TCP stream, after
 * Suricata's stream engine: bytes are kept by their sequence number
 * relative to the lowest one seen, gaps stay gaps until they are filled,
 * a retransmission that repeats the same bytes is accepted, and one that
 * overlaps bytes already held with different ones is flagged, since the
 * receiver and the gateway may then be reading different streams.
 *
 * The engine keeps one for a client's first bytes while it inspects a
 * flow (the ClientHello) and frees it when the flow is decided.  Memory is
 * bounded per stream (cap) and per engine (a shared budget).
 */
#ifndef SG_STREAM_H
#define SG_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What a stream has seen; flags only ever get set. */
#define STRM_F_OVERLAP_DIFF	0x01	/* the same bytes, different data */
#define STRM_F_RETRANS		0x02	/* the same bytes again, same data */
#define STRM_F_REORDERED	0x04	/* data arrived below the lowest seen */
#define STRM_F_CLIPPED		0x08	/* bytes past cap were not kept */
#define STRM_F_OUTSIDE		0x10	/* a segment wholly outside the window */
#define STRM_F_NOMEM		0x20	/* the budget or malloc said no */

/* Shared by the streams of one engine (one thread): no locking. */
struct strm_budget {
	size_t		 used;
	size_t		 max;
};

struct strm {
	uint8_t		*buf;		/* byte i: sequence base + i */
	uint8_t		*have;		/* bitmap of the bytes held */
	size_t		 alloc;		/* bytes allocated in buf */
	size_t		 cap;		/* bound on the span kept */
	size_t		 end;		/* one past the highest byte held */
	size_t		 contig;	/* bytes held without a gap from 0 */
	uint32_t	 base;		/* sequence number of byte 0 */
	bool		 started;
	unsigned int	 flags;
	struct strm_budget *budget;	/* may be NULL: no shared bound */
};

void		 strm_init(struct strm *, size_t cap, struct strm_budget *);
/* Frees the buffer and gives its bytes back to the budget. */
void		 strm_free(struct strm *);
/*
 * Add a segment.  Returns how far the base moved down (the bytes already
 * held are then that much further from byte 0).  If memory runs out the
 * segment is not kept and STRM_F_NOMEM is set.
 */
long		 strm_add(struct strm *, uint32_t seq, const uint8_t *,
		    size_t len);
/* The bytes from the base up to the first gap. */
const uint8_t	*strm_data(const struct strm *, size_t *len);

#endif
