/*
 * Decisions that follow the clock and the config.  A flow is decided
 * once, at its first packets, and the kernel then enforces its mark for
 * as long as it lasts; messaging apps keep connections for hours.  So at
 * every schedule boundary (a timerfd, armed for sched_next_change) and
 * after every reload, the main thread decides each open decided flow
 * again with the current config and time.  Where the outcome changes:
 *   - the flow's conntrack mark is updated in place (our bits only), so
 *     the ruleset resets a TCP flow now blocked at its next packet, and
 *     lets a flow no longer blocked through;
 *   - the flow's record is split: the row so far is written with its
 *     totals, and a new row carries the new decision from now on;
 *   - a "redecide" event records the change with its time.
 * A second pass a second later catches flows a worker decided with the
 * old config or time while the first pass ran.
 */
#include <sys/timerfd.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"
#include "schedule.h"

#define RD_FOLLOWUP_S	1

struct rd_ctx {
	const struct sg_config	*cfg;
	time_t			 now;
};

static bool
rd_decide(const struct policy_kept *k, const struct rec_flow *cur,
    struct rec_flow *next, void *arg)
{
	struct rd_ctx *x = arg;
	struct policy_decision dec;
	struct ident id;
	uint64_t cats;
	int cat;

	policy_redecide(x->cfg, k, x->now, &id, &cats, &dec);
	*next = *cur;
	next->device[0] = next->person[0] = next->mac[0] = '\0';
	eng_record_identity(x->cfg, &id, next);
	cat = policy_primary_category(cats);
	snprintf(next->category, sizeof(next->category), "%s",
	    cat >= 0 ? x->cfg->categories[cat].name : "");
	snprintf(next->action, sizeof(next->action), "%s",
	    sg_action_name(dec.action));
	policy_rule_label(x->cfg, &dec, next->rule, sizeof(next->rule),
	    next->clause, sizeof(next->clause));
	next->in_school_hours = dec.in_school_hours;
	return strcmp(next->action, cur->action) != 0 ||
	    strcmp(next->rule, cur->rule) != 0 ||
	    strcmp(next->clause, cur->clause) != 0;
}

static enum nfq_mark
rd_mark(const char *action)
{
	enum sg_action a = SG_ALLOW;

	(void)sg_action_parse(action, &a);
	return worker_mark_of(a);
}

static void
rd_event(struct daemon *d, const struct acct_change *c, const char *why)
{
	char src[SG_ADDRSTR_MAX], dst[SG_ADDRSTR_MAX], host[SG_HOST_MAX];
	char detail[2048];	/* the longest fields fit whole */

	sg_addr_str(&c->key.src, src, sizeof(src));
	sg_addr_str(&c->key.dst, dst, sizeof(dst));
	snprintf(detail, sizeof(detail), "%s %s:%u -> %s:%u %s %s, person %s, "
	    "device %s: %s %s (%s) -> %s %s (%s), %s", c->cur.transport, src,
	    c->key.sport, dst, c->key.dport, c->next.app,
	    sg_printable(c->next.host[0] ? c->next.host : "-", host,
	    sizeof(host)), c->next.person[0] ? c->next.person : "-",
	    c->next.device[0] ? c->next.device : "-", c->cur.action,
	    c->cur.rule, c->cur.clause, c->next.action, c->next.rule,
	    c->next.clause, why);
	rw_event(d->rw, "redecide", detail);
	log_debug("redecide: %s", detail);
}

/* 1 changed, 0 the flow is gone (its record keeps the old outcome),
 * -1 the kernel would not take the new mark. */
static int
rd_apply(struct daemon *d, const struct acct_change *c, const char *why)
{
	enum nfq_mark from = rd_mark(c->cur.action), to = rd_mark(c->next.action);
	struct rec_flow closed;
	struct ct_entry now;

	if (ct_get(&c->key, &now) == -1)
		return errno == ENOENT ? 0 : -1;
	if (from != to && ct_set_mark(&c->key, nfq_mark(d->mark_mask, to),
	    d->mark_mask) == -1)
		return errno == ENOENT ? 0 : -1;
	acct_split(d->acct, c, &now, (int64_t)sg_now_us(), &closed);
	rw_flow(d->rw, &closed);
	rd_event(d, c, why);
	return 1;
}

void
rd_pass(struct daemon *d, const char *why)
{
	struct rd_ctx x = { d->cfg->cfg, time(NULL) };
	struct acct_change *v;
	size_t changed = 0, failed = 0;
	ssize_t n;

	if (d->no_handoff || d->acct == NULL)
		return;
	if ((n = acct_changes(d->acct, rd_decide, &x, &v)) == -1) {
		log_warnx("redecide (%s): out of memory; open flows keep their "
		    "decisions", why);
		return;
	}
	for (ssize_t i = 0; i < n; i++)
		switch (rd_apply(d, &v[i], why)) {
		case 1:		changed++; break;
		case -1:	failed++; break;
		default:	break;
		}
	free(v);
	d->redecided += changed;
	if (changed > 0 || failed > 0)
		log_info("%s: %zu open flow(s) decided differently now%s",
		    why, changed, failed ? ", some could not be updated in "
		    "conntrack (see debug log)" : "");
	if (failed > 0)
		log_debug("redecide: %zu conntrack update(s) failed", failed);
}

/* Absolute wall-clock time, cancelled if the clock is set: a step of
 * the clock re-arms it from the new time. */
static void
rd_arm(struct daemon *d)
{
	struct itimerspec its;

	memset(&its, 0, sizeof(its));
	d->rd_next = sched_next_change(d->cfg->cfg, time(NULL));
	its.it_value.tv_sec = d->rd_next;
	if (timerfd_settime(d->rd_timerfd, TFD_TIMER_ABSTIME |
	    TFD_TIMER_CANCEL_ON_SET, &its, NULL) == -1)
		log_warn("schedule timer");
}

int
rd_start(struct daemon *d)
{
	if ((d->rd_timerfd = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK |
	    TFD_CLOEXEC)) == -1)
		return -1;
	rd_arm(d);
	return 0;
}

void
rd_stop(struct daemon *d)
{
	if (d->rd_timerfd > 0)
		close(d->rd_timerfd);
	d->rd_timerfd = -1;
}

void
rd_timer_fired(struct daemon *d)
{
	uint64_t n;

	/* ECANCELED: the clock was set; decide again for the new time */
	if (read(d->rd_timerfd, &n, sizeof(n)) == -1 && errno == EAGAIN)
		return;
	rd_pass(d, "schedule boundary");
	d->rd_followup = time(NULL) + RD_FOLLOWUP_S;
	d->rd_followup_why = "schedule boundary";
	rd_arm(d);
}

void
rd_reloaded(struct daemon *d)
{
	rd_pass(d, "reload");
	d->rd_followup = time(NULL) + RD_FOLLOWUP_S;
	d->rd_followup_why = "reload";
	rd_arm(d);
}

void
rd_tick(struct daemon *d, time_t now)
{
	if (d->rd_followup == 0 || now < d->rd_followup)
		return;
	d->rd_followup = 0;
	rd_pass(d, d->rd_followup_why);
}
