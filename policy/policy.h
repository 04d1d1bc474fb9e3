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
/*
 * Categories whose address lists (*.cidr) hold the server's address, and
 * in *list the name of the list with the longest matching range (NULL if
 * none).  Only for a flow policy_categories found nothing for: an
 * address never renames a flow its name or protocol already placed.
 */
uint64_t	 policy_addr_categories(const struct sg_config *,
		    const struct sg_addr *server, const char **list);
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
	/* the address list that placed the flow (points into the config),
	 * NULL if its name or protocol did: set by whoever looked it up */
	const char	*addr_list;
};

/* explain's step-by-step account; NULL when nobody is listening. */
typedef void	 policy_trace_fn(void *arg, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));

void		 policy_decide(const struct sg_config *, const struct policy_flow *,
		    struct policy_decision *, policy_trace_fn *, void *arg);
bool		 policy_in_school_hours(const struct sg_config *, time_t);
/*
 * A flow as the rules see it: its categories in cfg, and whether the
 * classifier found nothing.  host is "" unless the name came from the
 * flow's own protocol or from DNS.
 */
void		 policy_flow_init(struct policy_flow *, const struct sg_config *,
		    const struct ident *, const char *master, const char *proto,
		    const char *host, time_t when);
/* The rule and clause a record shows: "account:NAME" and "6.8" for an
 * exemption, else the decision's own. */
void		 policy_rule_label(const struct sg_config *,
		    const struct policy_decision *, char *rule, size_t rulelen,
		    char *clause, size_t clauselen);

/*
 * What a decided flow keeps so the daemon can decide it again when the
 * clock passes a schedule boundary or the config is reloaded: everything
 * identity resolution and the rules read, by value, since indexes mean
 * nothing in another config.
 */
struct policy_kept {
	bool		 has_mac;
	uint8_t		 mac[6];	/* from the frame or the leases */
	struct sg_addr	 ip;
	char		 iface[16];	/* input interface, "" if unknown */
	char		 master[SG_APP_MAX / 2];
	char		 proto[SG_APP_MAX / 2];
	char		 host[SG_HOST_MAX];	/* as policy_flow_init's */
	/* the 802.1X User-Name the flow was decided under, "" if none: the
	 * flow keeps the session it started in */
	char		 user[RAD_USER_MAX];
	bool		 fixed;		/* the engine's outcome, not a rule's
					   (QUIC fallback, evasion): kept */
	/* the address list that placed it, "" if none: the address is
	 * not kept, so a reload places it by that list's category */
	char		 addr_list[SG_NAME_MAX];
};

void		 policy_kept_init(struct policy_kept *, const struct ident *,
		    const char *iface, const char *master, const char *proto,
		    const char *host, const struct policy_decision *);
/*
 * Decide a kept flow again in cfg at when.  The sender is resolved
 * afresh (by the 802.1X session it was decided under, the MAC kept,
 * else its address, interface or subnet), so a device, person or group
 * that is gone falls back as identity resolution does for a new flow.
 */
void		 policy_redecide(const struct sg_config *,
		    const struct policy_kept *, time_t when, struct ident *,
		    uint64_t *categories, struct policy_decision *);
/* The outcome of a flow that hides its name: rule "evasion", the action
 * classification.evasion_action gives this sender. */
void		 policy_evasion(const struct sg_config *, const struct ident *,
		    time_t, struct policy_decision *);
/* Whether any block rule covers this sender: "auto" settings (evasion,
 * strip_ech, the DNS canaries) act for such senders only. */
bool		 policy_guarded(const struct sg_config *, const struct ident *);
/* Whether the sender's lookups have the "ech" SvcParam stripped
 * (groups[].strip_ech, by default where policy_guarded). */
bool		 policy_strip_ech(const struct sg_config *, const struct ident *);
/* Whether name is one of the list's names (no wildcards, any case, a
 * trailing dot ignored): dns.canaries, classification.ech_fronts. */
bool		 policy_name_listed(char *const *list, size_t n,
		    const char *name);
/* The outcome of a lookup of a canary domain: rule "dns-canary", a
 * block (answered NXDOMAIN), the clause evasion has. */
void		 policy_canary(const struct sg_config *, time_t,
		    struct policy_decision *);

#endif
