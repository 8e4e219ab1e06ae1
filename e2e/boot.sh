#!/bin/sh
# boot.sh: runs a Debian root with systemd as PID 1 under systemd-nspawn,
# for the left4me end-to-end test bed (see e2e/README.md).
#
#   unshare -m --propagation private e2e/boot.sh boot ROOT
#   unshare -m --propagation private e2e/boot.sh check ROOT
#
# "boot" boots ROOT and keeps it booted across reboots: systemd-nspawn
# exits with status 133 when the container reboots, and the loop starts
# it again. Any other status ends the loop with that status. "check" only
# runs /bin/true in ROOT, to learn whether nspawn works on this machine.
#
# It must run in a mount namespace of its own (unshare -m): the host's
# PID 1 is not systemd, so nspawn cannot ask it for a scope, and it needs
# a writable /run/systemd/nspawn to clean up between boots; the tmpfs
# mounted there goes away with the namespace.
set -eu

[ "$#" -eq 2 ] || { echo "usage: boot.sh boot|check ROOT" >&2; exit 2; }
mode=$1
root=$2
[ -d "$root" ] || { echo "boot.sh: $root is not a directory" >&2; exit 2; }

mkdir -p /run/systemd/nspawn
mount -t tmpfs -o mode=0755 tmpfs /run/systemd/nspawn

# Cgroups of this run's own. With --keep-unit, nspawn puts the container
# in "payload" below the cgroup it was started in (and itself in
# "supervisor"), so runs started from one cgroup (two make e2e from one
# shell) shared one tree: each container's systemd managed the other's
# units' cgroups too, saw its processes as PID 0, and logged "Failed to
# kill control group ...: Input/output error" for every unit. So this
# script moves itself into a new cgroup below its own, in each hierarchy
# that tracks processes (name=systemd and cgroup2), and removes it on exit.
# Only when no systemd on the host owns those trees (boot.sh's case).
own=left4me-e2e-$$
made=''
leave() {
	for d in $made; do
		echo "$$" >"${d%/*}/cgroup.procs" 2>/dev/null || true
		find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || true
	done
}
trap leave EXIT
if [ "$(cat /proc/1/comm)" != systemd ]; then
	while IFS=: read -r _ controllers path; do
		case $controllers in
		name=systemd) top=/sys/fs/cgroup/systemd ;;
		'') # cgroup2: beside the v1 trees (hybrid) or alone
			top=/sys/fs/cgroup/unified
			[ -f "$top/cgroup.procs" ] || top=/sys/fs/cgroup
			;;
		*) continue ;;
		esac
		d=$top${path%/}/$own
		if [ -f "$top/cgroup.procs" ] && mkdir "$d" 2>/dev/null; then
			made="$made $d"
			echo "$$" >"$d/cgroup.procs" || true
		fi
	done </proc/self/cgroup
fi

# --register=no and --keep-unit: there is no systemd on the host to
# register with. --private-network: the container has only its own
# loopback, so nothing it runs is reachable from outside or reaches out.
nspawn() {
	systemd-nspawn --quiet --register=no --keep-unit --private-network \
		--machine=left4me-e2e -D "$root" "$@"
}

case $mode in
check)
	nspawn --pipe -- /bin/true
	;;
boot)
	while :; do
		status=0
		nspawn --boot || status=$?
		if [ "$status" -ne 133 ]; then
			echo "boot.sh: systemd-nspawn exited with status $status" >&2
			exit "$status"
		fi
		echo "boot.sh: the container rebooted; starting it again" >&2
	done
	;;
*)
	echo "usage: boot.sh boot|check ROOT" >&2
	exit 2
	;;
esac
