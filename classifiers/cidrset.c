#include <sys/socket.h>

#include <errno.h>
#include <stdlib.h>

#include "cidrset.h"

/* Nodes live in one array and point at each other by index: half the
 * size of pointers, and one allocation to free. */
struct cs_node {
	uint32_t	 child[2];	/* 0: none (node 0 is never a child) */
	uint32_t	 tag;		/* CIDRSET_NOTAG: no range ends here */
	uint64_t	 bits;
};

struct cidrset {
	struct cs_node	*nodes;		/* [0]: IPv4 root, [1]: IPv6 root */
	size_t		 n;
	size_t		 cap;
	size_t		 ranges;
};

static int
cs_node_new(struct cidrset *cs, uint32_t *idx)
{
	if (cs->n == cs->cap) {
		size_t cap = cs->cap ? cs->cap * 2 : 1024;
		struct cs_node *nn;

		if (cap > UINT32_MAX ||
		    (nn = reallocarray(cs->nodes, cap, sizeof(*nn))) == NULL) {
			errno = ENOMEM;
			return -1;
		}
		cs->nodes = nn;
		cs->cap = cap;
	}
	cs->nodes[cs->n] = (struct cs_node){ { 0, 0 }, CIDRSET_NOTAG, 0 };
	*idx = (uint32_t)cs->n++;
	return 0;
}

struct cidrset *
cidrset_new(void)
{
	struct cidrset *cs = calloc(1, sizeof(*cs));
	uint32_t root;

	if (cs == NULL)
		return NULL;
	if (cs_node_new(cs, &root) == -1 || cs_node_new(cs, &root) == -1) {
		cidrset_free(cs);
		return NULL;
	}
	return cs;
}

void
cidrset_free(struct cidrset *cs)
{
	if (cs == NULL)
		return;
	free(cs->nodes);
	free(cs);
}

size_t
cidrset_count(const struct cidrset *cs)
{
	return cs->ranges;
}

static unsigned
cs_bit(const struct sg_addr *a, unsigned i)
{
	return (a->a[i / 8] >> (7 - i % 8)) & 1;
}

static int
cs_root(const struct sg_addr *a, unsigned *maxlen)
{
	if (a->family == AF_INET) {
		*maxlen = 32;
		return 0;
	}
	if (a->family == AF_INET6) {
		*maxlen = 128;
		return 1;
	}
	return -1;
}

int
cidrset_add(struct cidrset *cs, const struct sg_addr *a, unsigned prefix,
    uint64_t bits, uint32_t tag)
{
	unsigned maxlen;
	int root = cs_root(a, &maxlen);
	uint32_t at;

	if (root == -1 || prefix > maxlen) {
		errno = EINVAL;
		return -1;
	}
	at = (uint32_t)root;
	for (unsigned i = 0; i < prefix; i++) {
		unsigned b = cs_bit(a, i);
		uint32_t next = cs->nodes[at].child[b];

		if (next == 0) {
			if (cs_node_new(cs, &next) == -1)
				return -1;
			cs->nodes[at].child[b] = next;
		}
		at = next;
	}
	if (cs->nodes[at].tag == CIDRSET_NOTAG) {
		cs->nodes[at].tag = tag;
		cs->ranges++;
	}
	cs->nodes[at].bits |= bits;
	return 0;
}

uint64_t
cidrset_match(const struct cidrset *cs, const struct sg_addr *a,
    uint32_t *tag)
{
	unsigned maxlen;
	int root = cs_root(a, &maxlen);
	uint32_t at, best = CIDRSET_NOTAG;
	uint64_t bits = 0;

	if (root != -1) {
		at = (uint32_t)root;
		for (unsigned i = 0;; i++) {
			const struct cs_node *nd = &cs->nodes[at];

			if (nd->tag != CIDRSET_NOTAG) {
				bits |= nd->bits;
				best = nd->tag;
			}
			if (i == maxlen || (at = nd->child[cs_bit(a, i)]) == 0)
				break;
		}
	}
	if (tag != NULL)
		*tag = best;
	return bits;
}
