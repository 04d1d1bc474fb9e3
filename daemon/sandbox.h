/*
 * The inspector's sandbox (docs/PRIVSEP.md): the process that runs nDPI
 * over hostile bytes keeps nothing worth taking.  sbx_enter, called in a
 * freshly forked child after its nDPI module is built, as root or with
 * CAP_SYS_CHROOT, CAP_SETUID and CAP_SETGID permitted (CAP_SETPCAP too
 * to empty the bounding set), leaves it with
 *   - only the descriptors in the keep-list (0, 1 and 2 on /dev/null
 *     unless kept), so nothing inherited stays open;
 *   - an empty, root-owned directory as its root;
 *   - daemon.user's uid and gid, no supplementary groups;
 *   - no capability, in any set, and an empty bounding set;
 *   - no_new_privs, not dumpable (other processes of the same user cannot
 *     ptrace it);
 *   - a seccomp allow-list: no open, openat, socket, execve, ptrace or
 *     kill; tgkill only at itself; no new executable memory.  Anything
 *     else kills the process with SIGSYS.
 */
#ifndef SG_SANDBOX_H
#define SG_SANDBOX_H

#include <stddef.h>

#define SBX_EMPTY_DIR	"/run/schoolgate-empty"

struct sbx_opts {
	const char	*user;		/* daemon.user; never root.  NULL: stay
					 * the user this process already is;
					 * without keep_root that means no
					 * root to be had (classify run by an
					 * admin): the descriptors, no
					 * capability, no_new_privs and the
					 * seccomp list only */
	const char	*dir;		/* the empty root; NULL: SBX_EMPTY_DIR */
	const int	*keep;		/* descriptors that stay open */
	size_t		 nkeep;
	/* The record writer opens its database by path (and re-creates a
	 * deleted one), so it keeps its root and gets file calls on top. */
	bool		 keep_root;	/* no chroot, dir unused */
	const char *const *extra;	/* system calls allowed on top */
	size_t		 nextra;
	bool		 threads;	/* clone() of threads, not processes */
};

/*
 * Create dir (and its parent) root-owned 0755 if missing, as sshd does
 * with /run/sshd; refuse one that is not a directory, not owned by root,
 * writable by others or not empty.  0, or -1 with a reason in err.
 */
int		 sbx_mkdir_empty(const char *dir, char *err, size_t errlen);

/*
 * In a child about to exec a sandboxed program as a non-root user: put
 * CAP_SETPCAP, if permitted, in the ambient set, so that the program can
 * still empty its bounding set in sbx_enter (which clears it again).
 * Best effort: without it the bounding set stays as inherited.
 */
void		 sbx_pass_setpcap(void);

/* All of the above, in that order.  0, or -1 with a reason in err: the
 * caller must then exit, since the process is half-confined. */
int		 sbx_enter(const struct sbx_opts *, char *err, size_t errlen);

#endif
