/*
 * What the leases parsers share (leases.c implements it): a reader that
 * hands out one bounded line at a time and names FILE:LINE in errors,
 * field helpers, and the journal of entries that leases.c reduces to the
 * last entry per address.  Not for other modules: they use leases.h.
 */
#ifndef SG_LEASES_PARSE_H
#define SG_LEASES_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "leases.h"

#define LEASES_LINE_MAX		1024
#define LEASES_FIELDS_MAX	32

/* A lease as read, before later entries for the same address win. */
struct lease_entry {
	struct lease	 l;
	size_t		 seq;
	bool		 active;
};

struct lease_list {
	struct lease_entry *v;
	size_t		 n;
	size_t		 cap;
};

struct lease_reader {
	const char	*name;
	const char	*text;
	size_t		 len;
	size_t		 off;
	size_t		 lineno;
	char		 line[LEASES_LINE_MAX + 1];
	char		*err;
	size_t		 errlen;
};

/* Sets "NAME:LINE: message" in the reader's err; returns -1. */
int		 lr_error(struct lease_reader *, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));
/* 1 with the next line in r->line, 0 at the end, -1 on a bad line. */
int		 lr_next(struct lease_reader *);
/* Split in place on sep (or on runs of blanks if sep is 0); more than
 * max fields returns max + 1. */
size_t		 lr_split(char *, char sep, char **fields, size_t max);
/* Decimal digits only, no sign; -1 if not or if it overflows. */
int		 lr_int64(const char *, int64_t *);
/* Append one entry; active false records that the address is free. */
int		 lease_list_add(struct lease_list *, const struct lease *,
		    bool active);

/* One per format: 0 at the end of the text, -1 with err set. */
int		 leases_parse_dnsmasq(struct lease_reader *,
		    struct lease_list *);
int		 leases_parse_isc(struct lease_reader *, struct lease_list *);
int		 leases_parse_kea(struct lease_reader *, struct lease_list *);

#endif
