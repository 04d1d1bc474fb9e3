/*
 * Subcommands of the schoolgate binary, git style.  Each takes argc/argv
 * with argv[0] set to its own name, and returns the process exit status.
 */
#ifndef SG_CMD_H
#define SG_CMD_H

#include <stdio.h>

#include "config.h"

#define SG_DEFAULT_CONF	"/etc/schoolgate/schoolgate.conf"

int	cmd_classify(int, char **);
int	cmd_check_config(int, char **);
int	cmd_explain(int, char **);
int	cmd_purge(int, char **);
int	cmd_verify(int, char **);
int	cmd_run(int, char **);
int	cmd_inspector(int, char **);	/* daemon/inspector.c */
int	cmd_status(int, char **);
int	cmd_reload(int, char **);
int	cmd_report(int, char **);
int	cmd_export(int, char **);
int	cmd_lists(int, char **);
int	cmd_alerts(int, char **);
int	cmd_keys(int, char **);

/* Load, validate and put the school's time zone in force; on error every
 * problem is printed as FILE:LINE: message and NULL returned. */
struct sg_config *cmd_load_config(const char *path);
/* The same through conf_load_checked(): for what enforces the config. */
struct sg_config *cmd_load_config_checked(const char *path);
/* With another loader (the daemon's, daemon/confcheck.c); errors to stderr. */
struct sg_config *cmd_load(const char *path,
    struct sg_config *(*load)(const char *, struct conf_errors *));
/* gateway-rules' options from a valid config, on one line. */
void	cmd_print_rules_opts(const struct sg_config *, FILE *);
/* Warn of each group subnet on an interface of this machine that the
 * ruleset would not queue; returns how many. */
int	cmd_check_lan_cover(const struct sg_config *, FILE *);
struct rec_store;
/* Seal what rs has committed with records.seal_state and send the seal
 * to records.syslog_socket; says on stderr why not (cmd_keys.c). */
void	cmd_seal_store(struct rec_store *rs, const char *db,
	    const struct sg_config *);
/* True if argv asks for --help or -h anywhere. */
int	cmd_wants_help(int, char **);

#endif
