/*
 * The control socket: a unix stream socket, mode 0660, that answers
 * one-line commands ("status", "reload") with text.  The server side is
 * polled by the daemon's main thread, never by a packet worker, so a
 * flood of traffic does not stop status from answering.
 */
#ifndef SG_CTL_H
#define SG_CTL_H

#include <stddef.h>
#include <sys/types.h>

struct ctl;

/* Answer cmd into buf; returns the length written. */
typedef size_t	 ctl_handler(const char *cmd, char *buf, size_t len, void *arg);

/* gid -1: leave the group alone. NULL with errno on failure. */
struct ctl	*ctl_open(const char *path, gid_t gid);
void		 ctl_close(struct ctl *);
int		 ctl_fd(const struct ctl *);
/* Accept one waiting client, read its command, answer, hang up. */
void		 ctl_serve(struct ctl *, ctl_handler *, void *arg);

/* Client: send cmd, copy the answer to out; -1 with errno on failure. */
int		 ctl_request(const char *path, const char *cmd, char *out,
		    size_t outlen);

#endif
