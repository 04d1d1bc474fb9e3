#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "rwproc.h"	/* the record writer's hidden subcommand */

struct command {
	const char	*name;
	int		(*fn)(int, char **);
	const char	*summary;
};

static const struct command commands[] = {
	{ "run", cmd_run,
	    "enforce the policy inline on the gateway (NFQUEUE daemon)" },
	{ "status", cmd_status,
	    "show the running daemon's counters and state" },
	{ "reload", cmd_reload,
	    "make the running daemon re-read its configuration" },
	{ "classify", cmd_classify,
	    "classify pcap files offline and show what the policy would do" },
	{ "check-config", cmd_check_config,
	    "validate a configuration file; errors name the file and line" },
	{ "lists", cmd_lists,
	    "check the category lists, or import a downloaded list into one" },
	{ "explain", cmd_explain,
	    "show step by step which rule decides for a device, host and time" },
	{ "verify", cmd_verify,
	    "check the records' hash chain and seals for edited or deleted rows" },
	{ "keys", cmd_keys,
	    "create the records' sealing state and the verification key" },
	{ "purge", cmd_purge,
	    "delete records older than the retention period" },
	{ "report", cmd_report,
	    "the lead team's compliance report for a period (HTML, CSV, JSON)" },
	{ "export", cmd_export,
	    "export records as JSON lines with ECS field names, for a SIEM" },
	{ "alerts", cmd_alerts,
	    "mail high-risk events (circumvention, monitoring gaps) at once" },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: schoolgate COMMAND [OPTIONS]\n\n"
	    "schoolgate applies a school's staff social media policy on its\n"
	    "network: it classifies each connection by application (nDPI),\n"
	    "works out the device, person and group, and allows, logs or\n"
	    "blocks it by the school's rules and schedules.\n\n"
	    "Commands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(out, "  %-14s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\nRun 'schoolgate COMMAND --help' for a command's options.\n");
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	/* not listed: only schoolgate run starts it (docs/PRIVSEP.md) */
	if (strcmp(argv[1], RWP_EXEC_CMD) == 0)
		return rwp_exec_main(argc - 1, argv + 1);
	/* not listed: only schoolgate run starts it (daemon/spawn.c) */
	if (strcmp(argv[1], "inspector") == 0)
		return cmd_inspector(argc - 1, argv + 1);
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "schoolgate: unknown command \"%s\"\n\n", argv[1]);
	usage(stderr);
	return 2;
}
