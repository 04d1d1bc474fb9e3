#ifndef SG_LOG_H
#define SG_LOG_H

/*
 * Logging in the style of OpenBSD daemons.  Only the top level of a
 * command logs; lower layers return error codes.  Messages go to stderr
 * until log_init() says otherwise.
 */
void	log_init(int to_stderr, int verbose);
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));
/* A process that may not write anywhere (the inspector) hands each line,
 * errno text included, to fn instead. */
typedef void	 log_sink_fn(int priority, const char *line, void *arg);
void	log_set_sink(log_sink_fn *, void *arg);
void	fatalx(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
