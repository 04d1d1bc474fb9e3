# shellcheck shell=bash
# P2 and P3 for two builds in the same run, sourced by bench/run when
# BENCH_BASELINE_REV is set (bench/baseline.sh built it).  Each round
# measures three sides: plain forwarding, the baseline's daemon with its
# ruleset, and this build's with its own, in the order plain, baseline,
# this on odd rounds and the reverse on even ones, so whatever drifts
# during a round favours neither build.  Each filtered side starts its
# daemon and stops it after: only one can hold the queue.
# Uses bench/run's want, log, stats, result, judge, field, conn_run and
# conn_many.

# cmp_measure: "RATE P50_US P99_US" through whatever is on now; what a
# figure that was not asked for would be is "-"
cmp_measure() {
	local rate=- one="" p50=- p99=-
	want P2 && rate="$(conn_many)"
	if want P3; then
		one="$(conn_run 1)"
		p50="$(field p50_us "$one")"
		p99="$(field p99_us "$one")"
	fi
	CMP_OUT="$rate $p50 $p99"
}

cmp_filtered() {
	# each daemon starts its own records: the two builds' schemas may
	# differ, and the one that opens the other's database refuses it
	rm -f -- "$BN_DIR"/records.db* "$BN_DIR"/seal.state*
	bn_daemon_start 1
	bn_filter_on
	# a second of traffic first: the freshly started daemon's first
	# flows (nDPI's lazy set-up, cold caches) are not what is compared
	bn_in cli "$TOOLS/connbench" "$BN_SRV_IP" 80 "$CONC" 1 >/dev/null
	cmp_measure
	bn_filter_off
	bn_daemon_stop
}

# cmp_side plain|base|this: sets CMP_OUT (no subshell: the daemon's PID
# must stay known to bn_down if the run is interrupted)
cmp_side() {
	case "$1" in
	plain) cmp_measure ;;
	base) SCHOOLGATE="$BL_SCHOOLGATE" BN_TREE="$BL_TREE" cmp_filtered ;;
	this) cmp_filtered ;;
	esac
}

cmp_div() { python3 -c "print($1 / $2)"; }

cmp_run() {
	local i side sides rate p50 p99 rb p50b p99b rt p50t p99t
	local -A got=()
	# seen by cmp_results, which it calls
	local p2_this=() p2_base=() p2_ratio=()
	local p50_this=() p50_base=() p99_this=() p99_base=()
	for ((i = 1; i <= PAIRS; i++)); do
		sides=(plain base this)
		((i % 2)) || sides=(this base plain)
		for side in "${sides[@]}"; do
			cmp_side "$side"
			got[$side]="$CMP_OUT"
		done
		log "P2/P3 round $i: rate p50 p99: plain [${got[plain]}]" \
		    "baseline [${got[base]}] this [${got[this]}]"
		read -r rate p50 p99 <<<"${got[plain]}"
		read -r rb p50b p99b <<<"${got[base]}"
		read -r rt p50t p99t <<<"${got[this]}"
		if want P2; then
			p2_this+=("$(cmp_div "$rt" "$rate")")
			p2_base+=("$(cmp_div "$rb" "$rate")")
			p2_ratio+=("$(cmp_div "$rt" "$rb")")
		fi
		if want P3; then
			p50_this+=($((p50t - p50))) p50_base+=($((p50b - p50)))
			p99_this+=($((p99t - p99))) p99_base+=($((p99b - p99)))
		fi
	done
	cmp_results
}

# cmp_results: the figures, this build's first, then the baseline's and
# (P2) the ratio between them: issue 18's "at most 5 % of P2"
cmp_results() {
	local s
	if want P2; then
		s="$(stats "${p2_this[@]}")"
		result P2 "new TCP conn/s ($CONC parallel), filter/plain" "$s" \
		    ratio ">= 0.8" "$(judge "${s%% *}" ">=" 0.8)"
		result P2 "same, baseline $BL_DESC" "$(stats "${p2_base[@]}")" \
		    ratio "report" "-"
		s="$(stats "${p2_ratio[@]}")"
		result P2 "new TCP conn/s, this build/baseline" "$s" ratio \
		    ">= 0.95" "$(judge "${s%% *}" ">=" 0.95)"
	fi
	if want P3; then
		result P3 "added connect+first response, p50" \
		    "$(stats "${p50_this[@]}")" us "report" "-"
		result P3 "same, baseline" "$(stats "${p50_base[@]}")" us \
		    "report" "-"
		s="$(stats "${p99_this[@]}")"
		result P3 "added connect+first response, p99" "$s" us "< 500" \
		    "$(judge "${s%% *}" "<=" 500)"
		result P3 "same, baseline" "$(stats "${p99_base[@]}")" us \
		    "report" "-"
	fi
}

cmp_run
