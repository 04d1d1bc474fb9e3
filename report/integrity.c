/*
 * The data-quality section's integrity lines: the records' hash chain and
 * seals checked (records/chain.c, sealverify.c) and the latest seal named,
 * so that a printed report pins the records up to it.  rpt_build runs it
 * in a thread beside the queries, since it reads every row.
 */
#include <stdio.h>
#include <string.h>

#include "report.h"

static void
integ_seal_msg(const struct rec_verify_result *res, struct rpt_quality *qa)
{
	char when[40];

	if (res->seals == 0) {
		snprintf(qa->seal_msg, sizeof(qa->seal_msg), "the records are"
		    " not sealed (schoolgate keys init)");
		return;
	}
	rec_seal_when(&res->last_seal, when, sizeof(when));
	snprintf(qa->seal_msg, sizeof(qa->seal_msg), "seal %llu at %s, flows"
	    " head %s", (unsigned long long)res->last_seal.seq, when,
	    res->last_seal.flow_head);
}

void
rpt_integrity(const struct rpt_options *o, struct rpt_quality *qa)
{
	struct rec_verify_result res;

	memset(&res, 0, sizeof(res));
	if (!o->verify || rec_verify(o->db, &res) != REC_OK) {
		snprintf(qa->verify_msg, sizeof(qa->verify_msg), "%s",
		    o->verify ? "the check could not be run" : "not checked");
		snprintf(qa->seal_msg, sizeof(qa->seal_msg), "not checked");
		qa->verify_ran = o->verify;
		return;
	}
	integ_seal_msg(&res, qa);
	qa->verify_ran = true;
	qa->verify_ok = res.ok;
	qa->verified = res.verified;
	if (res.ok)
		snprintf(qa->verify_msg, sizeof(qa->verify_msg),
		    "%llu records verified", (unsigned long long)res.verified);
	else
		snprintf(qa->verify_msg, sizeof(qa->verify_msg),
		    "chain broken in %s at row %lld: %s", res.table,
		    (long long)res.bad_id, res.reason);
}
