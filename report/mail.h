/*
 * Mail for the lead team: a MIME message assembled in memory (mail.c) and
 * handed to the system MTA through its sendmail interface (sendmail.c).
 * Every header value that could come from the config or the wire is
 * stripped of control characters and, when not plain ASCII, RFC 2047
 * encoded, so no string can add a header or a MIME part.  Nothing here
 * prints or logs.
 */
#ifndef SG_MAIL_H
#define SG_MAIL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define MAIL_SUBJECT_MAX	200	/* bytes of subject kept */
#define MAIL_SEND_TIMEOUT	60	/* seconds sendmail may take */

struct mail_msg {
	const char	*from;		/* addr-spec, checked */
	const char	*from_name;	/* display name, may be NULL */
	char *const	*to;		/* addr-specs, checked */
	size_t		 nto;
	const char	*subject;
	time_t		 date;
	const char	*text;		/* text/plain; charset=utf-8 */
	const char	*html;		/* its text/html alternative, or NULL */
	const char	*attach;	/* a text/html file, or NULL */
	size_t		 attach_len;
	const char	*attach_name;	/* [A-Za-z0-9._-] only */
};

/* The message as sendmail takes it (LF line ends) in a malloc'ed buffer;
 * -1 on a bad address or out of memory. */
int		 mail_build(const struct mail_msg *, char **out, size_t *len);
/* The From address when reports.mail_from is unset: schoolgate@HOST. */
void		 mail_default_from(char *out, size_t outlen);

/* Base64 of in, lines of 76 with LF; malloc'ed, NUL-terminated. */
char		*mail_base64(const void *in, size_t len);
/* An RFC 2047 "encoded-word" header value for s (control characters
 * become spaces; plain ASCII stays as it is); malloc'ed. */
char		*mail_header_text(const char *s, size_t max);

enum mail_send_result {
	MAIL_SENT = 0,
	MAIL_ERR_EXEC,		/* sendmail could not be started */
	MAIL_ERR_WRITE,		/* it stopped reading the message */
	MAIL_ERR_STATUS,	/* it exited non-zero or was killed */
	MAIL_ERR_TIMEOUT,	/* it took longer than MAIL_SEND_TIMEOUT */
};

/* Run "SENDMAIL -oi -- TO..." with msg on its standard input.  status is
 * its exit status (or 128 + signal) for the caller's message. */
enum mail_send_result mail_send(const char *sendmail, char *const *to,
		    size_t nto, const char *msg, size_t len, int *status);
const char	*mail_strerror(enum mail_send_result);

#endif
