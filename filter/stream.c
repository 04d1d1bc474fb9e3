/*
 * Reassembly of one direction of a TCP stream into a bounded buffer.
 * Offsets are relative to the lowest sequence number seen; a segment that
 * arrives below it moves everything up.  Each byte held has a bit in a
 * bitmap, so gaps, repeats and conflicting overlaps are exact.
 */
#include <stdlib.h>
#include <string.h>

#include "stream.h"

#define STRM_CHUNK	2048	/* the buffer grows in steps of this */

static bool
strm_has(const struct strm *s, size_t i)
{
	return (s->have[i / 8] >> (i % 8)) & 1;
}

static void
strm_mark(struct strm *s, size_t i, bool on)
{
	if (on)
		s->have[i / 8] |= (uint8_t)(1u << (i % 8));
	else
		s->have[i / 8] &= (uint8_t)~(1u << (i % 8));
}

void
strm_init(struct strm *s, size_t cap, struct strm_budget *b)
{
	memset(s, 0, sizeof(*s));
	s->cap = cap;
	s->budget = b;
}

void
strm_free(struct strm *s)
{
	if (s->budget != NULL)
		s->budget->used -= s->alloc;
	free(s->buf);
	free(s->have);
	s->buf = s->have = NULL;
	s->alloc = s->end = s->contig = 0;
}

/* Room for bytes [0, need); need is at most cap. */
static int
strm_reserve(struct strm *s, size_t need)
{
	size_t n, grow, oldmap, newmap;
	uint8_t *buf, *have;

	if (need <= s->alloc)
		return 0;
	n = (need + STRM_CHUNK - 1) / STRM_CHUNK * STRM_CHUNK;
	if (n > s->cap)
		n = s->cap;
	grow = n - s->alloc;
	if (s->budget != NULL && s->budget->used + grow > s->budget->max)
		goto nomem;
	oldmap = (s->alloc + 7) / 8;
	newmap = (n + 7) / 8;
	if ((buf = realloc(s->buf, n)) == NULL)
		goto nomem;
	s->buf = buf;
	if ((have = realloc(s->have, newmap)) == NULL)
		goto nomem;
	memset(have + oldmap, 0, newmap - oldmap);
	s->have = have;
	s->alloc = n;
	if (s->budget != NULL)
		s->budget->used += grow;
	return 0;

 nomem:
	s->flags |= STRM_F_NOMEM;
	return -1;
}

/* Move every byte held up by d, dropping what would pass cap. */
static int
strm_shift(struct strm *s, size_t d)
{
	size_t end = s->end + d > s->cap ? s->cap : s->end + d;

	if (s->end + d > s->cap)
		s->flags |= STRM_F_CLIPPED;
	if (strm_reserve(s, end) == -1)
		return -1;
	for (size_t i = end; i-- > d;) {
		s->buf[i] = s->buf[i - d];
		strm_mark(s, i, strm_has(s, i - d));
	}
	for (size_t i = 0; i < d && i < end; i++)
		strm_mark(s, i, false);
	s->end = end;
	s->contig = 0;
	s->base -= (uint32_t)d;
	s->flags |= STRM_F_REORDERED;
	return 0;
}

static void
strm_copy(struct strm *s, size_t off, const uint8_t *data, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!strm_has(s, off + i)) {
			s->buf[off + i] = data[i];
			strm_mark(s, off + i, true);
		} else if (s->buf[off + i] != data[i])
			s->flags |= STRM_F_OVERLAP_DIFF;
		else
			s->flags |= STRM_F_RETRANS;
	}
	if (off + n > s->end)
		s->end = off + n;
	while (s->contig < s->end && strm_has(s, s->contig))
		s->contig++;
}

long
strm_add(struct strm *s, uint32_t seq, const uint8_t *data, size_t len)
{
	int64_t off;
	size_t n;
	long moved = 0;

	if (len == 0)
		return 0;
	if (!s->started) {
		s->base = seq;
		s->started = true;
	}
	off = (int32_t)(seq - s->base);
	if (off < 0) {
		if ((uint64_t)-off >= s->cap) {
			s->flags |= STRM_F_OUTSIDE;
			return 0;
		}
		if (strm_shift(s, (size_t)-off) == -1)
			return 0;
		moved = (long)-off;
		off = 0;
	}
	if ((uint64_t)off >= s->cap) {
		s->flags |= STRM_F_OUTSIDE;
		return moved;
	}
	n = len;
	if ((size_t)off + n > s->cap) {
		n = s->cap - (size_t)off;
		s->flags |= STRM_F_CLIPPED;
	}
	if (strm_reserve(s, (size_t)off + n) == -1)
		return moved;
	strm_copy(s, (size_t)off, data, n);
	return moved;
}

const uint8_t *
strm_data(const struct strm *s, size_t *len)
{
	*len = s->contig;
	return s->buf;
}
