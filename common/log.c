#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "log.h"

/*
 * The logging destination is process state by nature (like syslog's own);
 * it is set once by log_init() before any thread starts.
 */
static int log_to_stderr = 1;
static int log_verbose;
static log_sink_fn *log_sink;	/* the inspector's: lines go to the monitor */
static void *log_sink_arg;

void
log_set_sink(log_sink_fn *fn, void *arg)
{
	log_sink = fn;
	log_sink_arg = arg;
}

void
log_init(int to_stderr, int verbose)
{
	log_to_stderr = to_stderr;
	log_verbose = verbose;
	if (!to_stderr)
		openlog("schoolgate", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

/* The monitor's side of a sink: a line a child sent, already checked. */
void
log_line(int pri, const char *line)
{
	if (pri == LOG_DEBUG && !log_verbose)
		return;
	if (log_to_stderr)
		fprintf(stderr, "schoolgate: %s\n", line);
	else
		syslog(pri, "%s", line);
}

static void
vlog(int pri, const char *fmt, va_list ap, int with_errno, int saved)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (log_sink != NULL) {
		char line[1024 + 128];

		if (with_errno)
			snprintf(line, sizeof(line), "%s: %s", msg,
			    strerror(saved));
		else
			snprintf(line, sizeof(line), "%s", msg);
		log_sink(pri, line, log_sink_arg);
		return;
	}
	if (log_to_stderr) {
		if (with_errno)
			fprintf(stderr, "schoolgate: %s: %s\n", msg, strerror(saved));
		else
			fprintf(stderr, "schoolgate: %s\n", msg);
		return;
	}
	if (with_errno)
		syslog(pri, "%s: %s", msg, strerror(saved));
	else
		syslog(pri, "%s", msg);
}

void
log_warn(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_WARNING, fmt, ap, 1, saved);
	va_end(ap);
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_WARNING, fmt, ap, 0, 0);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_INFO, fmt, ap, 0, 0);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!log_verbose)
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, fmt, ap, 0, 0);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, fmt, ap, 1, saved);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, fmt, ap, 0, 0);
	va_end(ap);
	exit(1);
}
