/*
 * nDPI 4.2's protocols file (ndpi_load_protocols_file), checked line by
 * line.  nDPI reports no line numbers, returns success whatever it read,
 * and silently skips or half-reads a bad line (a last line without a
 * newline is dropped; "host:\"x\" @P" matches nothing), so every line is
 * checked here first.  No nDPI headers: this is text only.
 *
 * A line is a comment ("#" in the first column), blank, or
 *	ELEMENT[,ELEMENT...]@Protocol
 * where an ELEMENT is host:"name", tcp:PORT[-PORT], udp:PORT[-PORT] or
 * ip:A.B.C.D[/LEN][:PORT].
 */
#ifndef SG_PROTOFILE_H
#define SG_PROTOFILE_H

#include <stddef.h>

#define PROTOFILE_LINE_MAX	4096

/*
 * One line, without its newline.  Returns 1 for a rule, with the protocol
 * it names in proto; 0 for a comment or blank line; -1 with the reason in
 * err.
 */
int		 protofile_check_line(const char *line, char *proto,
		    size_t protolen, char *err, size_t errlen);

struct protofile_report {
	/* a bad line: its number from 1 and the reason */
	void		(*bad)(unsigned line, const char *msg, void *arg);
	/* the protocol a good rule names */
	void		(*name)(const char *proto, void *arg);
	void		*arg;
};

/*
 * Every line of path through rep.  Returns the number of bad lines, or -1
 * with the reason in err if the file cannot be read.
 */
int		 protofile_check(const char *path,
		    const struct protofile_report *rep, char *err,
		    size_t errlen);

#endif
