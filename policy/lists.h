/*
 * The list files categories name (conf/lists/, installed to
 * /etc/schoolgate/lists): UTF-8 text, one entry a line, "#" comments,
 * a header of "# key: value" lines at the top ("source", "date" as
 * YYYY-MM-DD and "licence" required, "description" optional).
 * "*.hosts" files hold host patterns ("example.org", "*.example.org"),
 * "*.cidr" files address ranges ("192.0.2.0/24", "2001:db8::/32", or a
 * bare address).  Every bad line is an error as "FILE:LINE: message".
 *
 * The lists and the categories' inline hosts are compiled into one index:
 * a hash for the host patterns and a prefix tree for the ranges.
 */
#ifndef SG_LISTS_H
#define SG_LISTS_H

#include <stdbool.h>
#include <stddef.h>
#include "config.h"

#define LISTS_LINE_MAX	1024

/* Each problem found, with the file and line it is on (0: the file). */
typedef void	 lists_err_fn(void *arg, const char *file, int line,
		    const char *msg);

/* CONF_LIST_HOSTS or CONF_LIST_CIDR by the name's suffix, -1 if neither. */
int		 lists_kind(const char *name);
/*
 * One entry (no comment, no blanks around it) of a list of kind: a host
 * pattern normalised into host, or a range into cidr.  -1 with *why set.
 */
int		 lists_entry(int kind, const char *text, char *host,
		    size_t hostlen, struct conf_cidr *cidr, const char **why);
/* A line with its comment and surrounding blanks cut off, in place. */
char		*lists_strip(char *line);
/*
 * A header line's key and value ("# date: 2026-12-01"): 1 if line is
 * one, with key and value pointing into line (cut in place), else 0.
 */
int		 lists_header(char *line, char **key, char **value);
/* An entry as a file writes it: the pattern, or "ADDRESS/LEN". */
void		 lists_entry_text(int kind, const char *host,
		    const struct conf_cidr *, char *out, size_t outlen);
/*
 * One line of a downloaded list, each entry it holds handed to fn with
 * its kind and lists_entry_text: a host pattern or address range (as in
 * a list file), or an nDPI protocols-file rule, host:"name" (the name and
 * everything below it, as nDPI matches it) and ip:ADDRESS[/LEN][:PORT]
 * (the port dropped), "@Protocol" ignored.  Comments and blank lines hold
 * none.  -1 with *why set on a bad line; fn's -1 (ENOMEM) is passed on
 * with *why "out of memory".
 */
typedef int	 lists_take_fn(void *arg, int kind, const char *entry);
int		 lists_foreign_line(char *line, lists_take_fn *fn, void *arg,
		    const char **why);
/*
 * Read l->path (kind by l->name) into l's header and entries.  Returns
 * the number of errors reported through err (0: l is complete).
 */
size_t		 lists_read(struct conf_list *l, lists_err_fn *err, void *arg);
/* Free what lists_read filled in, and the names. */
void		 lists_clear(struct conf_list *);

/* The index of cfg's host patterns (lists and inline) and ranges;
 * NULL on ENOMEM. */
struct lists_index *lists_index_build(const struct sg_config *cfg);
void		 lists_index_free(struct lists_index *);
/* Categories (bit i = category i) whose patterns match host. */
uint64_t	 lists_match_host(const struct lists_index *, const char *host);
/* Categories whose ranges hold addr; *list = the list of the longest
 * range (index into cfg->lists) or -1. */
uint64_t	 lists_match_addr(const struct lists_index *,
		    const struct sg_addr *, int *list);

#endif
