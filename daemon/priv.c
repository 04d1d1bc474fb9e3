#include <sys/capability.h>
#include <sys/prctl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>

#include "daemon.h"

/*
 * CAP_NET_ADMIN stays effective: nfnetlink checks it on every verdict
 * message, for the sending task as well as the socket's opener.  What
 * sbx_enter needs to confine an inspector (CAP_SETUID, CAP_SETGID,
 * CAP_SYS_CHROOT, CAP_SETPCAP) stays permitted and inheritable, never
 * effective here, so that a started inspector can raise it into its
 * ambient set across the exec (daemon/spawn.c).  Everything else goes.
 */
static int
keep_net_admin(void)
{
	cap_value_t keep[] = { CAP_NET_ADMIN };
	cap_value_t start[] = { CAP_NET_ADMIN, CAP_SETUID, CAP_SETGID,
	    CAP_SYS_CHROOT, CAP_SETPCAP };
	cap_t caps;
	int rc;

	if ((caps = cap_init()) == NULL)
		return -1;
	rc = cap_set_flag(caps, CAP_PERMITTED, 5, start, CAP_SET) == -1 ||
	    cap_set_flag(caps, CAP_INHERITABLE, 4, start + 1, CAP_SET) == -1 ||
	    cap_set_flag(caps, CAP_EFFECTIVE, 1, keep, CAP_SET) == -1 ||
	    cap_set_proc(caps) == -1 ? -1 : 0;
	cap_free(caps);
	return rc;
}

int
priv_drop(const char *user, char *err, size_t errlen)
{
	struct passwd *pw;

	if ((pw = getpwnam(user)) == NULL) {
		snprintf(err, errlen, "no such user \"%s\" (daemon.user)", user);
		return -1;
	}
	if (prctl(PR_SET_KEEPCAPS, 1) == -1 ||
	    setgroups(1, &pw->pw_gid) == -1 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) == -1 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) == -1) {
		snprintf(err, errlen, "cannot become %s: %s", user,
		    strerror(errno));
		return -1;
	}
	if (keep_net_admin() == -1 || prctl(PR_SET_KEEPCAPS, 0) == -1 ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1) {
		snprintf(err, errlen, "cannot limit capabilities: %s",
		    strerror(errno));
		return -1;
	}
	if (getuid() == 0 || geteuid() == 0) {
		snprintf(err, errlen, "still root after dropping to %s", user);
		return -1;
	}
	return 0;
}

uint64_t
priv_effective(void)
{
	char line[256];
	uint64_t v = 0;
	FILE *fp;

	if ((fp = fopen("/proc/self/status", "r")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strncmp(line, "CapEff:", 7) == 0) {
			v = strtoull(line + 7, NULL, 16);
			break;
		}
	fclose(fp);
	return v;
}
