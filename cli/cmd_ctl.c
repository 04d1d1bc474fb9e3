#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "ctl.h"

static void
ctl_usage(FILE *out, const char *cmd)
{
	fprintf(out,
	    "usage: schoolgate %s [-c CONF] [-s SOCKET]\n\n%s\n\n"
	    "  -c CONF    configuration, for daemon.control_socket (default %s)\n"
	    "  -s SOCKET  the control socket, instead of the configuration's\n",
	    cmd, strcmp(cmd, "status") == 0 ?
	    "Ask the running daemon for its state: uptime, packets, flows,\n"
	    "verdicts by action, decisions by app, queue drops, fail-open\n"
	    "count, record backlog and config generation." :
	    "Ask the running daemon to re-read its configuration and leases.\n"
	    "A configuration with errors is rejected and the old one stays.",
	    SG_DEFAULT_CONF);
}

static int
ctl_command(int argc, char **argv, const char *cmd)
{
	const char *conf = SG_DEFAULT_CONF, *sock = NULL;
	struct sg_config *cfg = NULL;
	char *answer;
	int ch, rc;

	if (cmd_wants_help(argc, argv)) {
		ctl_usage(stdout, cmd);
		return 0;
	}
	while ((ch = getopt(argc, argv, "c:s:")) != -1) {
		switch (ch) {
		case 'c': conf = optarg; break;
		case 's': sock = optarg; break;
		default: ctl_usage(stderr, cmd); return 2;
		}
	}
	if (sock == NULL) {
		if ((cfg = cmd_load_config(conf)) == NULL)
			return 1;
		sock = cfg->control_socket;
	}
	if ((answer = malloc(65536)) == NULL) {
		conf_free(cfg);
		return 1;
	}
	if ((rc = ctl_request(sock, cmd, answer, 65536)) == -1)
		fprintf(stderr, "schoolgate: %s: %s (is the daemon running?)\n",
		    sock, strerror(errno));
	else {
		fputs(answer, stdout);
		/* a rejected reload is a failure for scripts too */
		if (strncmp(answer, "reload rejected", 15) == 0)
			rc = -1;
	}
	free(answer);
	if (cfg)
		conf_free(cfg);
	return rc == -1 ? 1 : 0;
}

int
cmd_status(int argc, char **argv)
{
	return ctl_command(argc, argv, "status");
}

int
cmd_reload(int argc, char **argv)
{
	return ctl_command(argc, argv, "reload");
}
