#!/usr/bin/env python3
"""Derive a gateway config for the netns tests and the demo from
conf/schoolgate.conf, keeping its people, devices, categories and rules:

  mkconf.py --rundir DIR [--hours in|out|real] [--expire-accounts]
            [--allow-quic]
            [--queues N] [--queue-maxlen N] [--user USER] [--fail-closed]
            [--leases PATH] [--db PATH] [--memory-rows N]
            [--radius-detail GLOB] [--seal-interval SECS] > gateway.conf

--hours in/out replaces school hours by "always" or "never", so a test
does not depend on the clock; real keeps the school's timetable.  --leases reads a dnsmasq
leases file (without it the config has none).  --db puts the records
database elsewhere than DIR/records.db (a small tmpfs, say); --memory-rows
lowers the rows held while it cannot be written, so a test can overflow it.
--allow-quic sets block_quic = false in every group, so that the daemon
names QUIC flows as classify does instead of dropping them (quic-fallback).
--lists-dir names the folder of the categories' list files (default: the
"lists" folder beside --conf).
--radius-detail names the FreeRADIUS detail files with the 802.1X sessions
(default DIR/radacct/*/detail*, empty unless a test writes there).
The sealing state is DIR/seal.state (absent unless a test runs keys init)
and syslog DIR/log.sock; --seal-interval sets records.seal_interval."""
import argparse
import os
import re
import sys

ALWAYS = """schedules = (
  { name = "school-hours";
    weekdays = [ "mon", "tue", "wed", "thu", "fri", "sat", "sun" ];
    times = [ "00:00-24:00" ]; }
);"""
NEVER = """schedules = (
  { name = "school-hours";
    weekdays = [ "mon" ];
    times = [ "08:00-16:30" ];
    terms = ( { name = "long ago"; from = "2001-01-01"; to = "2001-01-02"; } ); }
);"""


def sub(pattern, repl, text):
    new, n = re.subn(pattern, lambda m: repl, text, count=1, flags=re.S | re.M)
    if n != 1:
        sys.exit(f"mkconf: pattern not found: {pattern}")
    return new


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rundir", required=True)
    ap.add_argument("--hours", choices=("in", "out", "real"), default="in")
    ap.add_argument("--expire-accounts", action="store_true")
    ap.add_argument("--queues", type=int, default=1)
    ap.add_argument("--user", default="nobody")
    ap.add_argument("--fail-closed", action="store_true")
    ap.add_argument("--queue-maxlen", type=int)
    ap.add_argument("--leases")
    ap.add_argument("--db")
    ap.add_argument("--memory-rows", type=int)
    ap.add_argument("--allow-quic", action="store_true")
    ap.add_argument("--radius-detail")
    ap.add_argument("--conf", default="conf/schoolgate.conf")
    ap.add_argument("--lists-dir")
    ap.add_argument("--seal-interval", type=int)
    a = ap.parse_args()
    text = open(a.conf).read()
    # the config moves to DIR; its lists stay where they are
    # (its real path: a symlink may sit in a folder only root can enter)
    lists = a.lists_dir or os.path.realpath(os.path.join(
        os.path.dirname(os.path.abspath(a.conf)), "lists"))
    text = sub(r"^classification = \{",
               f'classification = {{\n  lists_dir = "{lists}";', text)
    if a.hours != "real":
        text = sub(r"^schedules = \(.*?^\);", ALWAYS if a.hours == "in"
                   else NEVER, text)
    leases = ""
    if a.leases:
        leases = f'leases = {{ file = "{a.leases}"; format = "dnsmasq"; }};'
    text = sub(r"^leases = \{.*?^\};", leases, text)
    d = a.rundir
    detail = a.radius_detail or f"{d}/radacct/*/detail*"
    text = sub(r'radius_detail = \[[^]]*\];', f'radius_detail = [ "{detail}" ];',
               text)
    db = a.db or f"{d}/records.db"
    text = sub(r'database = "[^"]*";', f'database = "{db}";', text)
    text = sub(r'pseudonym_key = "[^"]*";', f'pseudonym_key = "{d}/key";', text)
    # never the machine's own sealing state or syslog
    text = sub(r'seal_state = "[^"]*";', f'seal_state = "{d}/seal.state";',
               text)
    text = sub(r'syslog_socket = "[^"]*";',
               f'syslog_socket = "{d}/log.sock";', text)
    if a.seal_interval is not None:
        text = sub(r"seal_interval = \d+;",
                   f"seal_interval = {a.seal_interval};", text)
    text = sub(r'control_socket = "[^"]*";',
               f'control_socket = "{d}/control.sock";', text)
    text = sub(r'metrics_file = "[^"]*";',
               f'metrics_file = "{d}/metrics.prom";', text)
    text = sub(r'user = "[^"]*";', f'user = "{a.user}";', text)
    text = sub(r"queue_count = \d+;", f"queue_count = {a.queues};", text)
    if a.queue_maxlen is not None:
        text = sub(r"queue_maxlen = \d+;", f"queue_maxlen = {a.queue_maxlen};",
                   text)
    if a.memory_rows is not None:
        text = sub(r"memory_rows = \d+;", f"memory_rows = {a.memory_rows};",
                   text)
    if a.fail_closed:
        text = sub(r"fail_open = true;", "fail_open = false;", text)
    if a.allow_quic:
        text = text.replace("block_quic = true;", "block_quic = false;")
    if a.expire_accounts:
        text = text.replace('ends = "2027-08-31"', 'ends = "2026-09-30"')
    sys.stdout.write(text)


if __name__ == "__main__":
    main()
