# Sourced by the report tests: build a records database for two weeks
# (2026-11-23 to 2026-12-06, with the INSET day on 30 November) and the
# week before, from ../shared/pcaps through "schoolgate classify", plus a
# few rows and events written through the real store (tests/tools/recgen)
# for what a capture cannot show: an approved account's use, a crash gap,
# clean stops in and out of school hours, a rejected config change.  Needs $SCHOOLGATE, $SHARED, $SG_TOOLS.

# local time in the school's zone -> Unix microseconds
rdb_us() {
	echo "$(( $(TZ=Europe/London date -d "$1" +%s) * 1000000 ))"
}

# rdb_classify CONF DB WHEN WHO PCAP...  (WHO: a device, or group:NAME)
rdb_classify() {
	local conf="$1" db="$2" at="$3" who="$4"
	shift 4
	local -a as=(--as-device "$who")
	case "$who" in group:*) as=(--as-group "${who#group:}") ;; esac
	"$SCHOOLGATE" classify -c "$conf" "${as[@]}" --at "$at" \
	    --records "$db" --no-progress "${@/#/$SHARED/pcaps/}" >/dev/null
}

make_report_db() {
	local conf="$1" db="$2"
	# the week before: for the comparison
	rdb_classify "$conf" "$db" '2026-11-17 10:30' jsmith-laptop facebook.pcap
	rdb_classify "$conf" "$db" '2026-11-18 20:10' jsmith-laptop instagram.pcap
	# John Smith: social media in hours, messaging, after school, a VPN
	rdb_classify "$conf" "$db" '2026-11-23 10:30' jsmith-laptop facebook.pcap
	rdb_classify "$conf" "$db" '2026-11-24 11:05' jsmith-laptop instagram.pcap
	rdb_classify "$conf" "$db" '2026-11-25 13:15' jsmith-laptop \
	    whatsapp_login_chat.pcap
	rdb_classify "$conf" "$db" '2026-11-26 19:40' jsmith-laptop facebook.pcap
	rdb_classify "$conf" "$db" '2026-12-01 12:20' jsmith-laptop wireguard.pcap
	rdb_classify "$conf" "$db" '2026-12-03 10:45' jsmith-laptop pinterest.pcap
	# Anita Patel: the INSET day, encrypted DNS, Reddit
	rdb_classify "$conf" "$db" '2026-11-30 10:00' apatel-phone snapchat.pcap
	rdb_classify "$conf" "$db" '2026-12-01 09:15' apatel-phone \
	    reddit_part-dev.pcap
	rdb_classify "$conf" "$db" '2026-12-02 14:00' apatel-phone dns_doh.pcap
	# Sue Ward's own laptop reaches Facebook (the account's platform)
	rdb_classify "$conf" "$db" '2026-12-02 08:40' sward-laptop facebook.pcap
	# Mary Jones, office
	rdb_classify "$conf" "$db" '2026-12-04 15:10' office-pc tumblr_part-dev.pcap
	# pupils and guests by group (unknown devices)
	rdb_classify "$conf" "$db" '2026-11-25 10:00' group:pupils instagram.pcap
	rdb_classify "$conf" "$db" '2026-11-26 11:30' group:pupils \
	    tor_part-dev.pcap psiphon3.pcap
	rdb_classify "$conf" "$db" '2026-12-04 17:20' group:guests \
	    telegram.pcap socks.pcap
	# the comms iPad uses the school's Facebook page (exempt, 6.8)
	"$SG_TOOLS/recgen" "$db" flow "$(rdb_us '2026-11-24 09:10')" comms-ipad \
	    02:00:00:00:10:32 sward staff TLS.Facebook personal-social \
	    www.facebook.com allow 'account:Clifton Lodge School Facebook page' \
	    6.8 1 5
	# data quality: a crash gap, a late write and a rejected reload
	# (the daemon's own wording: daemon/run.c, report/downtime.c)
	"$SG_TOOLS/recgen" "$db" event "$(rdb_us '2026-11-27 07:02')" gap \
	    "the previous run ended without stopping cleanly; not monitored from about $(($(rdb_us '2026-11-27 06:10') / 1000000)) to $(($(rdb_us '2026-11-27 07:02') / 1000000)) (3120 s): traffic passed uninspected (fail-open)"
	"$SG_TOOLS/recgen" "$db" event "$(rdb_us '2026-11-27 07:02')" start \
	    'schoolgate started'
	# clean stops: 90 min in school hours on Thursday 3 December, and
	# an hour on Saturday 5 December (not a gap: no school)
	"$SG_TOOLS/recgen" "$db" event "$(rdb_us '2026-12-03 12:00')" stop \
	    'stopped cleanly'
	"$SG_TOOLS/recgen" "$db" event "$(rdb_us '2026-12-03 13:30')" start \
	    'started'
	"$SG_TOOLS/recgen" "$db" event "$(rdb_us '2026-12-05 10:00')" stop \
	    'stopped cleanly'
	"$SG_TOOLS/recgen" "$db" event "$(rdb_us '2026-12-05 11:00')" start \
	    'started'
	"$SG_TOOLS/recgen" "$db" event "$(rdb_us '2026-12-01 10:20')" delay \
	    'records could not be written for 95 s (store database or disk is full); rows held in memory were written late'
	"$SG_TOOLS/recgen" "$db" event "$(rdb_us '2026-12-02 16:45')" config \
	    'reload rejected: schoolgate.conf:88: unknown category "mesaging"'
	"$SG_TOOLS/recgen" "$db" event "$(rdb_us '2026-12-02 16:50')" reload \
	    'configuration reloaded (generation 3)'
}
