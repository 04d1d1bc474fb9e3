/*
 * Schedules in the school's local time.  The time zone comes from the
 * config and is set once at start-up (sched_set_timezone), so the C
 * library's zone rules give the right wall-clock time on either side of
 * the March and October clock changes.
 */
#ifndef SG_SCHEDULE_H
#define SG_SCHEDULE_H

#include <stdbool.h>
#include "config.h"

struct sched_local {
	int32_t		 day;		/* days since 1970-01-01, local date */
	int		 weekday;	/* 0 = Monday ... 6 = Sunday */
	int		 minute;	/* minutes since local midnight */
	bool		 dst;
};

/* Returns 0, or -1 if the zone is not installed. */
int		 sched_set_timezone(const char *tz);
void		 sched_localtime(time_t, struct sched_local *);
/* "YYYY-MM-DD HH:MM" (or "YYYY-MM-DDTHH:MM") in local time; -1 if bad. */
int		 sched_parse_local(const char *, time_t *);
/* "YYYY-MM-DD" local midnight. */
int		 sched_parse_day(const char *, time_t *);

/*
 * Whether the schedule is in force at lt.  why, if not NULL, receives a
 * short explanation ("closure: INSET day", "Mon 10:30 within 08:00-16:30
 * in Autumn term") for explain and reports.
 */
bool		 sched_active(const struct conf_schedule *, const struct sched_local *,
		    char *why, size_t whylen);
/*
 * The first time after now at which any schedule's state, or the local
 * date, changes: when decisions taken now may stop being right.
 */
time_t		 sched_next_change(const struct sg_config *, time_t now);
/* "Mon-Fri 08:00-16:30" */
void		 sched_describe(const struct conf_schedule *, char *, size_t);
bool		 sched_is_closure(const struct conf_schedule *, int32_t day,
		    const char **label);
bool		 sched_in_term(const struct conf_schedule *, int32_t day,
		    const char **label);

#endif
