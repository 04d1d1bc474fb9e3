/*
 * The alerts' state as a small JSON file: the cursor, the counters, the
 * rate-limit windows and the unsent messages.  Written to FILE.tmp,
 * synced and renamed, so a crash leaves the old state or the new one.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "alerts.h"

static void
alert_copy(char *dst, size_t len, json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	snprintf(dst, len, "%s", s ? s : "");
}

static void
alert_load_limits(json_t *a, struct alert_state *st)
{
	size_t i;
	json_t *o;

	if ((st->limits = calloc(json_array_size(a) + 1,
	    sizeof(*st->limits))) == NULL)
		return;
	json_array_foreach(a, i, o) {
		struct alert_limit *l = &st->limits[st->nlimits++];

		alert_copy(l->kind, sizeof(l->kind), o, "kind");
		alert_copy(l->who, sizeof(l->who), o, "who");
		l->last = json_integer_value(json_object_get(o, "last"));
		l->suppressed = (uint64_t)json_integer_value(
		    json_object_get(o, "suppressed"));
	}
}

static enum rpt_error
alert_load_queue(json_t *a, struct alert_state *st)
{
	const char *subj, *text;
	size_t i;
	json_t *o;

	json_array_foreach(a, i, o) {
		subj = json_string_value(json_object_get(o, "subject"));
		text = json_string_value(json_object_get(o, "text"));
		if (subj == NULL || text == NULL ||
		    alert_enqueue(st, subj, text, json_integer_value(
		    json_object_get(o, "next"))) != RPT_OK)
			return RPT_ERR_IO;
		st->queue[st->nqueue - 1].attempts = (unsigned int)
		    json_integer_value(json_object_get(o, "attempts"));
	}
	return RPT_OK;
}

static uint64_t
alert_num(json_t *o, const char *key)
{
	return (uint64_t)json_integer_value(json_object_get(o, key));
}

enum rpt_error
alert_state_load(const char *path, struct alert_state *st)
{
	enum rpt_error err;
	json_t *o;

	memset(st, 0, sizeof(*st));
	if (access(path, F_OK) == -1 && errno == ENOENT)
		return RPT_OK;
	if ((o = json_load_file(path, 0, NULL)) == NULL ||
	    !json_is_object(o)) {
		json_decref(o);
		return RPT_ERR_IO;
	}
	st->started = true;
	st->flow_id = (int64_t)alert_num(o, "flows");
	st->event_id = (int64_t)alert_num(o, "events");
	st->sent = alert_num(o, "sent");
	st->failed = alert_num(o, "failed");
	st->suppressed = alert_num(o, "suppressed");
	st->dropped = alert_num(o, "dropped");
	st->down_alerted = json_is_true(json_object_get(o, "down_alerted"));
	alert_load_limits(json_object_get(o, "limits"), st);
	err = alert_load_queue(json_object_get(o, "queue"), st);
	json_decref(o);
	return err;
}

static json_t *
alert_state_json(const struct alert_state *st)
{
	json_t *o = json_object(), *lim = json_array(), *q = json_array();

	json_object_set_new(o, "flows", json_integer(st->flow_id));
	json_object_set_new(o, "events", json_integer(st->event_id));
	json_object_set_new(o, "sent", json_integer((json_int_t)st->sent));
	json_object_set_new(o, "failed", json_integer((json_int_t)st->failed));
	json_object_set_new(o, "retrying", json_integer((json_int_t)st->nqueue));
	json_object_set_new(o, "suppressed",
	    json_integer((json_int_t)st->suppressed));
	json_object_set_new(o, "dropped", json_integer((json_int_t)st->dropped));
	json_object_set_new(o, "down_alerted", json_boolean(st->down_alerted));
	for (size_t i = 0; i < st->nlimits; i++)
		json_array_append_new(lim, json_pack("{s:s,s:s,s:I,s:I}",
		    "kind", st->limits[i].kind, "who", st->limits[i].who,
		    "last", (json_int_t)st->limits[i].last, "suppressed",
		    (json_int_t)st->limits[i].suppressed));
	for (size_t i = 0; i < st->nqueue; i++)
		json_array_append_new(q, json_pack("{s:s,s:s,s:I,s:I}",
		    "subject", st->queue[i].subject, "text", st->queue[i].text,
		    "attempts", (json_int_t)st->queue[i].attempts, "next",
		    (json_int_t)st->queue[i].next));
	json_object_set_new(o, "limits", lim);
	json_object_set_new(o, "queue", q);
	return o;
}

enum rpt_error
alert_state_save(const char *path, const struct alert_state *st)
{
	char tmp[4200];
	json_t *o = alert_state_json(st);
	int fd, rc;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0640)) == -1) {
		json_decref(o);
		return RPT_ERR_IO;
	}
	rc = json_dumpfd(o, fd, JSON_INDENT(1));
	json_decref(o);
	if (fsync(fd) == -1)
		rc = -1;
	if (close(fd) == -1 || rc == -1 || rename(tmp, path) == -1) {
		unlink(tmp);
		return RPT_ERR_IO;
	}
	return RPT_OK;
}

void
alert_state_free(struct alert_state *st)
{
	for (size_t i = 0; i < st->nqueue; i++) {
		free(st->queue[i].subject);
		free(st->queue[i].text);
	}
	free(st->queue);
	free(st->limits);
	memset(st, 0, sizeof(*st));
}

enum rpt_error
alert_enqueue(struct alert_state *st, const char *subject, const char *text,
    int64_t now)
{
	struct alert_pending *q;

	if (st->nqueue >= ALERT_QUEUE_MAX) {
		st->dropped++;
		return RPT_OK;
	}
	if ((q = realloc(st->queue, (st->nqueue + 1) * sizeof(*q))) == NULL)
		return RPT_ERR_NOMEM;
	st->queue = q;
	q = &st->queue[st->nqueue];
	q->subject = strdup(subject);
	q->text = strdup(text);
	q->attempts = 0;
	q->next = now;
	if (q->subject == NULL || q->text == NULL) {
		free(q->subject);
		free(q->text);
		return RPT_ERR_NOMEM;
	}
	st->nqueue++;
	return RPT_OK;
}
