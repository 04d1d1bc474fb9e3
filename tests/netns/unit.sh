# shellcheck shell=bash
# The shipped unit's limits, for tests that start the daemon the way
# systemd would where systemd is not PID 1.  Source after gateway.sh.
#   unit_value KEY          the value of KEY= in scripts/systemd/schoolgate.service
#   unit_wrap               sets SG_GW_WRAP to a setpriv command with the
#                           unit's CapabilityBoundingSet (root keeps only
#                           those, as under systemd) and NoNewPrivileges

SG_UNIT="${SG_UNIT:-scripts/systemd/schoolgate.service}"

unit_value() {
	sed -n "s/^$1=//p" "$SG_UNIT" | tail -n 1
}

unit_wrap() {
	local caps set="-all" c
	caps="$(unit_value CapabilityBoundingSet)"
	[ -n "$caps" ] || { echo "unit_wrap: no CapabilityBoundingSet" >&2; return 1; }
	for c in $caps; do
		c="${c#CAP_}"
		set+=",+${c,,}"
	done
	SG_GW_WRAP="setpriv --bounding-set=$set --inh-caps=-all"
	[ "$(unit_value NoNewPrivileges)" = yes ] &&
	    SG_GW_WRAP+=" --no-new-privs"
	export SG_GW_WRAP
}
