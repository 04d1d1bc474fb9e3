/*
 * The inspector's sandbox: see sandbox.h for what it leaves.  The order
 * matters: the user is looked up while /etc is still visible, the
 * bounding set is dropped while CAP_SETPCAP is still held, and the
 * seccomp filter goes last because the steps before it need syscalls it
 * forbids.
 */
#include <sys/capability.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sched.h>
#include <sys/stat.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sandbox.h"

/*
 * What the inspector loop needs: I/O on descriptors it already holds,
 * waiting, the clock, memory, futexes (glibc's locks), leaving, and
 * getrandom (nDPI's and libgcrypt's).  The packet path was traced with
 * strace over the captures; tests/t_sandbox.sh runs it in here.
 */
static const char *const sbx_allowed[] = {
	"read", "readv", "write", "writev", "pread64",
	"recvmsg", "recvmmsg", "recvfrom", "sendmsg", "sendmmsg", "sendto",
	"close", "lseek", "fstat", "fcntl", "getsockopt",
	"poll", "ppoll", "select", "pselect6",
	"epoll_wait", "epoll_pwait", "epoll_pwait2", "epoll_ctl",
	"clock_gettime", "clock_getres", "gettimeofday", "time",
	"nanosleep", "clock_nanosleep",
	"munmap", "mremap", "brk", "madvise",
	"futex", "sched_yield", "restart_syscall",
	"exit", "exit_group", "rt_sigreturn", "rt_sigprocmask",
	"getrandom", "getpid", "gettid",
	/* AddressSanitizer asks for the signal stack before every call of
	 * a noreturn function (_exit): harmless, and only the own stack */
	"sigaltstack",
};

static int
sbx_fail(char *err, size_t errlen, const char *what)
{
	snprintf(err, errlen, "sandbox: %s: %s", what, strerror(errno));
	return -1;
}

static int
sbx_check_dir(const char *dir, char *err, size_t errlen)
{
	struct stat	 st;
	struct dirent	*de;
	DIR		*d;
	int		 ret = 0;

	if (lstat(dir, &st) == -1)
		return sbx_fail(err, errlen, dir);
	if (!S_ISDIR(st.st_mode) || st.st_uid != 0 ||
	    (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		snprintf(err, errlen, "sandbox: %s: not a directory owned "
		    "and only writable by root", dir);
		return -1;
	}
	if ((d = opendir(dir)) == NULL)
		return sbx_fail(err, errlen, dir);
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0) {
			snprintf(err, errlen, "sandbox: %s: not empty (%s)",
			    dir, de->d_name);
			ret = -1;
			break;
		}
	closedir(d);
	return ret;
}

int
sbx_mkdir_empty(const char *dir, char *err, size_t errlen)
{
	char	 parent[PATH_MAX];
	char	*slash;

	if (snprintf(parent, sizeof(parent), "%s", dir) >= (int)sizeof(parent)
	    || dir[0] != '/') {
		snprintf(err, errlen, "sandbox: %s: not an absolute path", dir);
		return -1;
	}
	if ((slash = strrchr(parent, '/')) != NULL && slash != parent) {
		*slash = '\0';
		if (mkdir(parent, 0755) == -1 && errno != EEXIST)
			return sbx_fail(err, errlen, parent);
	}
	if (mkdir(dir, 0755) == -1 && errno != EEXIST)
		return sbx_fail(err, errlen, dir);
	return sbx_check_dir(dir, err, errlen);
}

static bool
sbx_kept(const struct sbx_opts *o, int fd)
{
	for (size_t i = 0; i < o->nkeep; i++)
		if (o->keep[i] == fd)
			return true;
	return false;
}

static void
sbx_close_range(unsigned first, unsigned last)
{
	if (first > last)
		return;
	if (close_range(first, last, 0) == 0 || errno != ENOSYS)
		return;
	/* kernels before 5.9 */
	for (unsigned fd = first; fd <= last && fd < 65536; fd++)
		close((int)fd);
}

/* 0-2 onto /dev/null unless kept, then everything not kept closed. */
static int
sbx_close_fds(const struct sbx_opts *o, char *err, size_t errlen)
{
	unsigned	 from = 3;
	int		 null, fd;

	if ((null = open("/dev/null", O_RDWR | O_CLOEXEC)) == -1)
		return sbx_fail(err, errlen, "/dev/null");
	for (fd = 0; fd <= 2; fd++)
		if (!sbx_kept(o, fd) && fd != null && dup2(null, fd) == -1)
			return sbx_fail(err, errlen, "dup2");
	/* the keep-list is short: close the gaps between kept descriptors */
	for (;;) {
		unsigned next = UINT_MAX;

		for (size_t i = 0; i < o->nkeep; i++)
			if (o->keep[i] >= (int)from &&
			    (unsigned)o->keep[i] < next)
				next = (unsigned)o->keep[i];
		if (next == UINT_MAX) {
			sbx_close_range(from, UINT_MAX);
			break;
		}
		if (next > from)
			sbx_close_range(from, next - 1);
		from = next + 1;
	}
	return 0;
}

/*
 * A monitor that is no longer root keeps CAP_SYS_CHROOT, CAP_SETUID and
 * CAP_SETGID (and perhaps CAP_SETPCAP) permitted, to start inspectors
 * after a crash: raise whichever of them it has into the effective set.
 */
static int
sbx_raise(char *err, size_t errlen)
{
	cap_value_t	 want[] = { CAP_SYS_CHROOT, CAP_SETUID, CAP_SETGID,
			    CAP_SETPCAP };
	cap_flag_value_t have;
	cap_t		 caps;
	int		 rc;

	if ((caps = cap_get_proc()) == NULL)
		return sbx_fail(err, errlen, "cap_get_proc");
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (cap_get_flag(caps, want[i], CAP_PERMITTED, &have) == 0 &&
		    have == CAP_SET)
			cap_set_flag(caps, CAP_EFFECTIVE, 1, &want[i], CAP_SET);
	rc = cap_set_proc(caps);
	cap_free(caps);
	return rc == -1 ? sbx_fail(err, errlen, "cap_set_proc") : 0;
}

void
sbx_pass_setpcap(void)
{
	cap_value_t	 v = CAP_SETPCAP;
	cap_flag_value_t have = CAP_CLEAR;
	cap_t		 caps;

	if ((caps = cap_get_proc()) == NULL)
		return;
	if (cap_get_flag(caps, v, CAP_PERMITTED, &have) == 0 &&
	    have == CAP_SET &&
	    cap_set_flag(caps, CAP_INHERITABLE, 1, &v, CAP_SET) == 0 &&
	    cap_set_proc(caps) == 0)
		(void)cap_set_ambient(v, CAP_SET);
	cap_free(caps);
}

/* Every capability out of the bounding set: needs CAP_SETPCAP, so done
 * while still root.  A process started without it (systemd's
 * CapabilityBoundingSet) has a bounding set that is already small. */
static int
sbx_drop_bounding(char *err, size_t errlen)
{
	cap_flag_value_t have = CAP_CLEAR;
	cap_t		 caps;

	if ((caps = cap_get_proc()) == NULL)
		return sbx_fail(err, errlen, "cap_get_proc");
	cap_get_flag(caps, CAP_SETPCAP, CAP_EFFECTIVE, &have);
	cap_free(caps);
	if (have != CAP_SET)
		return 0;
	for (cap_value_t c = 0; c < (cap_value_t)cap_max_bits(); c++)
		if (cap_drop_bound(c) == -1 && errno != EINVAL)
			return sbx_fail(err, errlen, "cap_drop_bound");
	return 0;
}

static int
sbx_drop_caps(char *err, size_t errlen)
{
	cap_t	 none, now;
	int	 same;

	if (cap_reset_ambient() == -1 && errno != EINVAL)
		return sbx_fail(err, errlen, "cap_reset_ambient");
	if ((none = cap_init()) == NULL)
		return sbx_fail(err, errlen, "cap_init");
	if (cap_set_proc(none) == -1) {
		cap_free(none);
		return sbx_fail(err, errlen, "cap_set_proc");
	}
	if ((now = cap_get_proc()) == NULL) {
		cap_free(none);
		return sbx_fail(err, errlen, "cap_get_proc");
	}
	same = cap_compare(now, none) == 0;
	cap_free(now);
	cap_free(none);
	if (!same) {
		snprintf(err, errlen, "sandbox: capabilities remain");
		return -1;
	}
	return 0;
}

static int
sbx_become(uid_t uid, gid_t gid, char *err, size_t errlen)
{
	uid_t	 r, e, s;

	if (setgroups(1, &gid) == -1 || setresgid(gid, gid, gid) == -1 ||
	    setresuid(uid, uid, uid) == -1)
		return sbx_fail(err, errlen, "setresuid");
	if (getresuid(&r, &e, &s) == -1 || r == 0 || e == 0 || s == 0) {
		snprintf(err, errlen, "sandbox: still root");
		return -1;
	}
	return 0;
}

static bool
sbx_listed(const struct sbx_opts *o, const char *name)
{
	for (size_t i = 0; i < o->nextra; i++)
		if (strcmp(o->extra[i], name) == 0)
			return true;
	return false;
}

static int
sbx_allow_names(scmp_filter_ctx ctx, const char *const *names, size_t n)
{
	int	 nr, rc = 0;

	for (size_t i = 0; i < n; i++) {
		/* a name this architecture lacks ("time" on arm64) */
		if ((nr = seccomp_syscall_resolve_name(names[i])) ==
		    __NR_SCMP_ERROR)
			continue;
		rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
	}
	return rc;
}

/*
 * pthread_create: clone only with CLONE_THREAD, so no new process; and
 * clone3, whose flags sit in memory a filter cannot read, fails with
 * ENOSYS, on which glibc falls back to clone.  glibc installs its
 * internal signal handlers (rt_sigaction) at the first thread; a new
 * thread asks its own attributes (sched_getaffinity).
 */
static int
sbx_thread_rules(scmp_filter_ctx ctx)
{
	const char *const names[] = { "set_robust_list", "rseq",
	    "sigaltstack", "rt_sigaction", "sched_getaffinity" };
	int	 rc;

	rc = sbx_allow_names(ctx, names, sizeof(names) / sizeof(names[0]));
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
	    SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD));
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3),
	    0);
	return rc;
}

/* Adds the unconditional list and the few rules with argument checks. */
static int
sbx_rules(scmp_filter_ctx ctx, const struct sbx_opts *o)
{
	int	 rc;

	rc = sbx_allow_names(ctx, sbx_allowed,
	    sizeof(sbx_allowed) / sizeof(sbx_allowed[0]));
	if (o->nextra > 0)
		rc |= sbx_allow_names(ctx, o->extra, o->nextra);
	if (o->threads)
		rc |= sbx_thread_rules(ctx);
	/* no new executable memory */
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
	    SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
	    SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	/* fstat(fd) is newfstatat(fd, "", AT_EMPTY_PATH) in glibc 2.36
	 * (the writer's extra list may allow it whole) */
	if (!sbx_listed(o, "newfstatat"))
		rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW,
		    SCMP_SYS(newfstatat), 1, SCMP_A3(SCMP_CMP_MASKED_EQ,
		    AT_EMPTY_PATH, AT_EMPTY_PATH));
	/* stdio asks whether a descriptor is a terminal */
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
	    SCMP_A1(SCMP_CMP_EQ, TCGETS, 0));
	/* abort() signals itself; no other process */
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
	    SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid(), 0));
	return rc;
}

static int
sbx_seccomp(const struct sbx_opts *o, char *err, size_t errlen)
{
	scmp_filter_ctx	 ctx;
	int		 rc;

	if ((ctx = seccomp_init(SCMP_ACT_KILL_PROCESS)) == NULL) {
		snprintf(err, errlen, "sandbox: seccomp_init failed");
		return -1;
	}
	if ((rc = sbx_rules(ctx, o)) == 0)
		rc = seccomp_load(ctx);
	seccomp_release(ctx);
	if (rc != 0) {
		errno = -rc;
		return sbx_fail(err, errlen, "seccomp");
	}
	return 0;
}

/* The last steps of every sandbox: no capability, not dumpable,
 * no_new_privs, then the seccomp list. */
static int
sbx_confine(const struct sbx_opts *o, char *err, size_t errlen)
{
	if (sbx_drop_caps(err, errlen) == -1)
		return -1;
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1 ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		return sbx_fail(err, errlen, "prctl");
	return sbx_seccomp(o, err, errlen);
}

/* No root, so no chroot or user of its own: what remains (sandbox.h). */
static int
sbx_enter_unprivileged(const struct sbx_opts *o, char *err, size_t errlen)
{
	if (sbx_close_fds(o, err, errlen) == -1)
		return -1;
	return sbx_confine(o, err, errlen);
}

/* *uid is -1 when o->user is NULL: the process stays who it is. */
static int
sbx_lookup(const struct sbx_opts *o, uid_t *uid, gid_t *gid, char *err,
    size_t errlen)
{
	struct passwd	*pw;

	*uid = (uid_t)-1;
	*gid = (gid_t)-1;
	if (o->user == NULL)
		return 0;
	errno = 0;
	if ((pw = getpwnam(o->user)) == NULL) {
		snprintf(err, errlen, "sandbox: no such user \"%s\"", o->user);
		return -1;
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	if (*uid == 0) {
		snprintf(err, errlen, "sandbox: %s is root", o->user);
		return -1;
	}
	return 0;
}

int
sbx_enter(const struct sbx_opts *o, char *err, size_t errlen)
{
	const char	*dir = o->dir != NULL ? o->dir : SBX_EMPTY_DIR;
	uid_t		 uid;
	gid_t		 gid;

	if (o->user == NULL && !o->keep_root)
		return sbx_enter_unprivileged(o, err, errlen);
	if (sbx_lookup(o, &uid, &gid, err, errlen) == -1 ||
	    sbx_raise(err, errlen) == -1 ||
	    (!o->keep_root && sbx_mkdir_empty(dir, err, errlen) == -1) ||
	    sbx_close_fds(o, err, errlen) == -1)
		return -1;
	if (!o->keep_root && (chroot(dir) == -1 || chdir("/") == -1))
		return sbx_fail(err, errlen, dir);
	if (sbx_drop_bounding(err, errlen) == -1 ||
	    (o->user != NULL && sbx_become(uid, gid, err, errlen) == -1))
		return -1;
	return sbx_confine(o, err, errlen);
}
