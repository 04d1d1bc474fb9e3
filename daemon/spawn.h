/*
 * Starting an inspector (daemon/inspector.c), shared by the daemon's
 * workers (spawn.c) and schoolgate classify (cli/classify_box.c), so that
 * offline and live inspection run the same program in the same sandbox.
 */
#ifndef SG_SPAWN_H
#define SG_SPAWN_H

#include <stddef.h>

#include "config.h"

/* "schoolgate inspector ROLE USER [PROTOCOLS]" on a socketpair: its pid
 * and our end in *sock, or -1. */
int		 spawn_exec(const char *role, const char *user,
		    const char *protocols, int *sock);
/* The sandbox's user for cfg: daemon.user, never root ("nobody"). */
const char	*spawn_user(const struct sg_config *cfg);
/* A wait status in words: "killed by SIGSEGV", "exited with status 4". */
void		 spawn_describe(int status, char *buf, size_t len);

#endif
