/*
 * The config as the monitor takes it, at start and on SIGHUP: every check
 * check-config makes.  The one check that needs nDPI (are the apps the
 * rules name ones nDPI knows?) would map libndpi into the monitor, which
 * holds CAP_NET_ADMIN; so check-config itself runs it, executed afresh
 * (the monitor has threads) with no capability (not root, nothing
 * ambient), and its errors become the reload's.  The monitor then loads
 * the file with all the other checks, so a file changed in between is
 * still checked.
 */
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"

#define CC_OUT_MAX	(64 * 1024)

extern char **environ;

static int
cc_add(struct conf_errors *errs, const char *line, size_t len)
{
	char **v;

	if (len == 0)
		return 0;
	if ((v = realloc(errs->msg, (errs->n + 1) * sizeof(*v))) == NULL)
		return -1;
	errs->msg = v;
	if ((v[errs->n] = strndup(line, len)) == NULL)
		return -1;
	errs->n++;
	return 0;
}

/* check-config's output and exit status; -1 if it could not run. */
static int
cc_run(const char *path, char *out, size_t outlen, size_t *got)
{
	char *const argv[] = { (char *)"schoolgate", (char *)"check-config",
	    (char *)"-c", (char *)(uintptr_t)path, NULL };
	int fds[2], st = 0, pid;
	ssize_t n;

	*got = 0;
	if (pipe2(fds, O_CLOEXEC) == -1)
		return -1;
	if ((pid = fork()) == -1) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {	/* async-signal-safe only: the monitor has threads */
		if (dup2(fds[1], 1) == -1 || dup2(fds[1], 2) == -1)
			_exit(126);
		execve("/proc/self/exe", argv, environ);
		_exit(127);
	}
	close(fds[1]);
	while ((n = read(fds[0], out + *got, outlen - 1 - *got)) > 0 ||
	    (n == -1 && errno == EINTR))
		if (n > 0 && (*got += (size_t)n) == outlen - 1)
			break;
	out[*got] = '\0';
	close(fds[0]);
	while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
		;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

struct sg_config *
run_conf_load(const char *path, struct conf_errors *errs)
{
	char *out, *line, *nl;
	size_t got;
	int rc;

	errs->msg = NULL;	/* as conf_load: the caller's may be garbage */
	errs->n = 0;
	if ((out = malloc(CC_OUT_MAX)) == NULL)
		return NULL;
	if ((rc = cc_run(path, out, CC_OUT_MAX, &got)) != 0) {
		if (rc == -1)
			snprintf(out, CC_OUT_MAX, "%s: cannot run check-config: "
			    "%s", path, strerror(errno));
		/* its stderr says FILE:LINE for each error; warnings too */
		for (line = out; *line != '\0'; line = nl + (*nl != '\0')) {
			nl = line + strcspn(line, "\n");
			(void)cc_add(errs, line, (size_t)(nl - line));
		}
		if (errs->n == 0)
			(void)cc_add(errs, "check-config failed", 19);
		free(out);
		return NULL;
	}
	free(out);
	return conf_load_checked_but_names(path, errs);
}
