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
