/*
 * The school's rules applied to one flow: plain C over the config value,
 * with no I/O, so every decision can be unit tested and explained.
 */
#ifndef SG_POLICY_H
#define SG_POLICY_H

#include <stdbool.h>
#include "config.h"
#include "identity.h"

/* Categories whose protocols or host patterns match; bit i = category i. */
uint64_t	 policy_categories(const struct sg_config *, const char *master,
		    const char *proto, const char *host);
/* The first category in config order, -1 if none. */
int		 policy_primary_category(uint64_t);

struct policy_flow {
	const struct ident *id;
	const char	*master;	/* "TLS", "" */
	const char	*proto;		/* "Facebook" */
	const char	*host;		/* "" if none */
	uint64_t	 categories;
	bool		 unknown;	/* the classifier found nothing */
	time_t		 when;
};

struct policy_decision {
	enum sg_action	 action;
	int		 rule;		/* rule index, -1 for a default */
	const char	*rule_name;	/* points into the config */
	const char	*clause;	/* "" if none */
	int		 account;	/* professional account exempting, or -1 */
	bool		 in_school_hours;
};

/* explain's step-by-step account; NULL when nobody is listening. */
typedef void	 policy_trace_fn(void *arg, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));

void		 policy_decide(const struct sg_config *, const struct policy_flow *,
		    struct policy_decision *, policy_trace_fn *, void *arg);
bool		 policy_in_school_hours(const struct sg_config *, time_t);
/* The outcome of a flow that hides its name: rule "evasion", the action
 * classification.evasion_action gives this sender. */
void		 policy_evasion(const struct sg_config *, const struct ident *,
		    time_t, struct policy_decision *);

#endif
