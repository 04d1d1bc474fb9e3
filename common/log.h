#ifndef SG_LOG_H
#define SG_LOG_H

/*
 * Logging in the style of OpenBSD daemons.  Only the top level of a
 * command logs; lower layers return error codes.  Messages go to stderr
 * until log_init() says otherwise.
 */
void	log_init(int to_stderr, int verbose);
/*
 * A forked child that must not write logs itself (it may not open the
 * syslog socket, or its parent had threads that held syslog's lock) hands
 * each formatted line to fn instead, which sends it to the monitor; the
 * monitor writes it with log_line().  Set once, before the child's threads.
 */
typedef void	 log_sink_fn(int priority, const char *line, void *arg);
void	log_set_sink(log_sink_fn *, void *arg);
void	log_line(int priority, const char *line);
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
