#!/bin/sh
# install.sh: installs left4me's host files on a Debian host.
#
#   sudo deploy/install.sh [--binary PATH] [--layers-helper PATH] [--srcds PATH] [--enable-web]
#                          [--dry-run] [--steamcmd PATH | --with-steamcmd [--accept-steam-license]]
#
# It is idempotent: a second run changes nothing. It never overwrites the
# operator's configuration in /etc/left4me, never installs a sudoers file
# that visudo rejects, and starts nothing unless --enable-web is given.
# On a Debian amd64 host it adds the i386 architecture and installs the
# 32-bit runtime the game server needs (lib32gcc-s1, lib32stdc++6,
# libc6-i386), and with --with-steamcmd Debian's steamcmd (non-free),
# whose licence question is Valve's to ask and the operator's to answer:
# it is accepted on their behalf only with --accept-steam-license.
# --steamcmd names Valve's own steamcmd.sh instead, for the panel's
# web.env. The root helper left4me-layers (a Go program, cmd/left4me-layers)
# comes from --layers-helper, or from beside --binary (make build puts
# both in bin/). See deploy/README.md.
#
# Environment:
#   DESTDIR           install under this directory instead of /, without
#                     creating users, changing owners, installing packages
#                     or calling systemctl (those steps are only printed)
#   LEFT4ME_BINARY    same as --binary
#   LEFT4ME_LAYERS_HELPER  same as --layers-helper
#   LEFT4ME_SRCDS     same as --srcds
#   LEFT4ME_STEAMCMD  same as --steamcmd
#   LEFT4ME_SRC       the deploy directory to install from (default: the
#                     directory holding this script)
set -eu
export LC_ALL=C
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH
umask 022

prog=install.sh
state=/var/lib/left4me
default_srcds=$state/game/srcds_run
usage_line="usage: $prog [--binary PATH] [--layers-helper PATH] [--srcds PATH] [--enable-web] [--dry-run] [--steamcmd PATH | --with-steamcmd [--accept-steam-license]]"
# The game server (srcds) is a 32-bit x86 program: these bring its C and
# C++ runtime to an amd64 host, from Debian's main.
game_libs='lib32gcc-s1 lib32stdc++6 libc6-i386'
# Debian's steamcmd: i386 only, in non-free. Its wrapper,
# /usr/games/steamcmd, keeps everything in the home of the user running
# it (~/.local/share/Steam, ~/.steam), and the panel finds it there
# without LEFT4ME_STEAMCMD.
steamcmd_pkg=steamcmd:i386
debian_steamcmd=/usr/games/steamcmd

usage() {
	echo "$usage_line" >&2
	exit 2
}

die() {
	echo "$prog: $*" >&2
	exit 1
}

say() {
	printf '%s\n' "$*"
}

warn() {
	echo "$prog: warning: $*" >&2
}

binary=${LEFT4ME_BINARY:-}
layers_helper=${LEFT4ME_LAYERS_HELPER:-}
srcds=${LEFT4ME_SRCDS:-$default_srcds}
steamcmd=${LEFT4ME_STEAMCMD:-}
with_steamcmd=0
accept_license=0
enable_web=0
dry_run=0
while [ "$#" -gt 0 ]; do
	case $1 in
	--binary)
		[ "$#" -ge 2 ] || usage
		binary=$2
		shift 2
		;;
	--binary=*)
		binary=${1#--binary=}
		shift
		;;
	--layers-helper)
		[ "$#" -ge 2 ] || usage
		layers_helper=$2
		shift 2
		;;
	--layers-helper=*)
		layers_helper=${1#--layers-helper=}
		shift
		;;
	--srcds)
		[ "$#" -ge 2 ] || usage
		srcds=$2
		shift 2
		;;
	--srcds=*)
		srcds=${1#--srcds=}
		shift
		;;
	--steamcmd)
		[ "$#" -ge 2 ] || usage
		steamcmd=$2
		shift 2
		;;
	--steamcmd=*)
		steamcmd=${1#--steamcmd=}
		shift
		;;
	--with-steamcmd)
		with_steamcmd=1
		shift
		;;
	--accept-steam-license)
		accept_license=1
		shift
		;;
	--enable-web)
		enable_web=1
		shift
		;;
	--dry-run)
		dry_run=1
		shift
		;;
	-h | --help)
		echo "$usage_line"
		exit 0
		;;
	*)
		usage
		;;
	esac
done

src=${LEFT4ME_SRC:-$(dirname "$0")}
src=$(cd "$src" && pwd) || die "cannot open the source directory $src"

destdir=${DESTDIR:-}
case $destdir in
'') ;;
/*)
	# Drop trailing slashes so that "$destdir/etc" has no "//".
	while [ "${destdir%/}" != "$destdir" ]; do
		destdir=${destdir%/}
	done
	[ -n "$destdir" ] || die "DESTDIR=/ is the real system; leave DESTDIR unset instead"
	;;
*) die "DESTDIR must be an absolute path, got '$destdir'" ;;
esac

# tmp is the temporary file being written, removed if we stop half-way.
tmp=
cleanup() {
	if [ -n "$tmp" ]; then
		rm -f "$tmp"
	fi
}
trap cleanup EXIT
trap 'cleanup; exit 1' HUP INT TERM

# run CMD...: changes the host, or only prints the command in a dry run.
run() {
	if [ "$dry_run" = 1 ]; then
		say "would run: $*"
	else
		say "run: $*"
		"$@"
	fi
}

# system CMD...: like run, for what acts on the running system rather
# than on files (users, owners, systemctl); with DESTDIR only printed.
system() {
	if [ -n "$destdir" ]; then
		say "would run (skipped with DESTDIR): $*"
	else
		run "$@"
	fi
}

# mode_of PATH and owner_of PATH print the octal mode and user:group of
# PATH, or nothing when it does not exist.
mode_of() {
	stat -c %a "$1" 2>/dev/null || true
}

owner_of() {
	stat -c %U:%G "$1" 2>/dev/null || true
}

# owner_ok PATH USER:GROUP: with DESTDIR, owners are not managed.
owner_ok() {
	[ -n "$destdir" ] || [ "$(owner_of "$1")" = "$2" ]
}

# set_owner USER:GROUP FILE SHOWN: gives FILE its owner, or with DESTDIR
# prints what it would do, naming the file SHOWN.
set_owner() {
	if [ -n "$destdir" ]; then
		say "would run (skipped with DESTDIR): chown $1 $3"
	else
		chown "$1" "$2"
	fi
}

# ensure_parent DIR: creates a system directory such as /etc/sudoers.d
# if it is missing, and leaves an existing one as it is.
ensure_parent() {
	if [ ! -d "$destdir$1" ]; then
		run mkdir -p "$destdir$1"
	fi
}

# ensure_dir MODE USER:GROUP DIR: creates one of left4me's own directories
# and gives it its mode and owner.
ensure_dir() {
	path=$destdir$3
	if [ ! -d "$path" ]; then
		run mkdir -p "$path"
	fi
	if [ "$(mode_of "$path")" != "$1" ]; then
		run chmod "$1" "$path"
	fi
	if [ -n "$destdir" ] || [ "$(owner_of "$path")" != "$2" ]; then
		system chown "$2" "$path"
	fi
}

# as_left4me CMD...: runs CMD as the left4me user, for what install.sh
# makes inside the game tree, which is left4me's: left4me could have put
# a symlink anywhere there, and root must not follow it. With DESTDIR
# there is no left4me to become, and CMD runs as it is.
as_left4me() {
	if [ -n "$destdir" ]; then
		run "$@"
	else
		run runuser -u left4me -- "$@"
	fi
}

# ensure_inner_dir MODE DIR: like ensure_dir for a left4me directory
# inside another left4me directory (instances/ in /var/lib/left4me), which
# left4me could have replaced with a symlink to steer root's chmod (and
# chown) elsewhere: make e2e saw an earlier install.sh make a directory
# of root's 0750 that way. So root follows nothing there: a missing DIR
# is created as left4me, the mode is set as left4me, and the owner with
# chown -h, which changes a symlink swapped in at that moment rather than
# what it points to. A symlink to a directory not left4me's is refused.
ensure_inner_dir() {
	path=$destdir$2
	if [ ! -e "$path" ] && [ ! -L "$path" ]; then
		as_left4me mkdir -m "$1" "$path"
		return
	fi
	[ -d "$path" ] || die "$path is not a directory"
	if [ -z "$destdir" ] && [ "$(stat -L -c %U:%G "$path")" != left4me:left4me ]; then
		[ ! -L "$path" ] || die "$path is a symlink to a directory that is not left4me's; make it a directory of left4me's"
		system chown -h left4me:left4me "$path"
	fi
	if [ "$(stat -L -c %a "$path")" != "$1" ]; then
		as_left4me chmod "$1" "$path"
	fi
}

# ensure_game_dir DIR: creates DIR (0755) as left4me when nothing is
# there; an existing one, the operator's game installation say, is left
# exactly as it is.
ensure_game_dir() {
	path=$destdir$1
	if [ -d "$path" ]; then
		return
	fi
	if ! as_left4me mkdir -m 755 "$path"; then
		warn "could not create $path as left4me; install the game there as left4me"
	fi
}

# ensure_cfg_link LINK: makes LINK, as left4me, a symlink to
# $cfg_link_target, unless it is one already. Whatever else is there
# (the empty placeholder an older install.sh made, say) is replaced; a
# directory is left alone, with a warning.
ensure_cfg_link() {
	path=$destdir$1
	if [ -L "$path" ] && [ "$(readlink "$path")" = "$cfg_link_target" ]; then
		return
	fi
	if [ -d "$path" ] && [ ! -L "$path" ]; then
		warn "$path is a directory; remove it, or instances cannot read their server.cfg"
		return
	fi
	if ! as_left4me ln -sfn "$cfg_link_target" "$path"; then
		warn "could not make $path a link to $cfg_link_target as left4me; until it is one, instances cannot read their server.cfg"
	fi
}

# install_file MODE SRC DEST [sudoers]: installs SRC as DEST, owned by
# root, through a temporary file in DEST's directory and a rename, so
# DEST is always either the old file or the new one. With "sudoers",
# the temporary copy must pass visudo -cf first; otherwise DEST is left
# alone and the installation stops. A DEST that already matches is not
# touched.
install_file() {
	mode=$1
	from=$2
	dest=$destdir$3
	if [ -f "$dest" ] && [ ! -L "$dest" ] && cmp -s "$from" "$dest" &&
		[ "$(mode_of "$dest")" = "$mode" ] && owner_ok "$dest" root:root; then
		say "unchanged: $dest"
		return
	fi
	if [ "$dry_run" = 1 ]; then
		say "would install: $from as $dest (mode $mode, owner root:root)"
		return
	fi
	# The temporary name starts with a dot: sudo's includedir skips such
	# files, so a half-written sudoers file is never read.
	tmp=$(mktemp "${dest%/*}/.${dest##*/}.XXXXXX")
	cp "$from" "$tmp"
	chmod "$mode" "$tmp"
	set_owner root:root "$tmp" "$dest"
	if [ "${4:-}" = sudoers ] && ! visudo -c -f "$tmp" >/dev/null; then
		die "visudo rejects $from; $dest is left as it was"
	fi
	mv -f "$tmp" "$dest"
	tmp=
	say "installed: $dest (mode $mode)"
}

# write_config MODE FILE: writes operator configuration from stdin, only
# if FILE does not exist yet. An existing file is never touched.
write_config() {
	dest=$destdir$2
	if [ -e "$dest" ] || [ -L "$dest" ]; then
		say "kept: $dest (existing configuration is never overwritten)"
		cat >/dev/null
		return
	fi
	if [ "$dry_run" = 1 ]; then
		say "would write: $dest (mode $1, owner root:root)"
		cat >/dev/null
		return
	fi
	tmp=$(mktemp "${dest%/*}/.${dest##*/}.XXXXXX")
	cat >"$tmp"
	chmod "$1" "$tmp"
	set_owner root:root "$tmp" "$dest"
	mv -f "$tmp" "$dest"
	tmp=
	say "wrote: $dest (mode $1)"
}

# set_config_key FILE KEY VALUE: adds KEY=VALUE to the operator's
# configuration FILE when it does not set KEY yet. FILE is written by
# write_config when missing; an existing one keeps every line it has, its
# mode and its owner, and gets the new line at its end (through a copy
# and a rename). A KEY it sets already is never changed: a different
# value is only reported.
set_config_key() {
	dest=$destdir$1
	if [ ! -e "$dest" ] && [ ! -L "$dest" ]; then
		return # a dry run, which wrote nothing
	fi
	if [ -L "$dest" ] || [ ! -f "$dest" ]; then
		warn "$dest is not a regular file; add $2=$3 to it yourself"
		return
	fi
	if grep -q "^[[:space:]]*$2[[:space:]]*=" "$dest"; then
		current=$(sed -n "s/^[[:space:]]*$2[[:space:]]*=[[:space:]]*//p" "$dest" | tail -n 1)
		case $current in
		\"*\" | \'*\')
			current=${current#?}
			current=${current%?}
			;;
		esac
		if [ "$current" = "$3" ]; then
			say "unchanged: $2 in $dest"
		else
			warn "$dest sets $2=$current; kept (existing settings are never overwritten), edit it yourself to use $3"
		fi
		return
	fi
	if [ "$dry_run" = 1 ]; then
		say "would add: $2=$3 to $dest"
		return
	fi
	tmp=$(mktemp "${dest%/*}/.${dest##*/}.XXXXXX")
	cat "$dest" >"$tmp"
	if [ -n "$(tail -c 1 "$dest")" ]; then
		echo >>"$tmp" # the last line had no newline
	fi
	printf '%s=%s\n' "$2" "$3" >>"$tmp"
	chmod "$(mode_of "$dest")" "$tmp"
	set_owner "$(owner_of "$dest")" "$tmp" "$dest"
	mv -f "$tmp" "$dest"
	tmp=
	say "added: $2=$3 to $dest"
}

# installed PACKAGE: whether dpkg has PACKAGE installed.
installed() {
	[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

# debian_amd64: whether this host can have the game's packages installed
# by this script: Debian's dpkg and apt-get, on amd64.
debian_amd64() {
	command -v dpkg >/dev/null && command -v apt-get >/dev/null &&
		[ "$(dpkg --print-architecture)" = amd64 ]
}

# steamcmd_missing: whether --with-steamcmd has anything to install.
steamcmd_missing() {
	[ "$with_steamcmd" = 1 ] && [ -z "$destdir" ] && ! installed "$steamcmd_pkg"
}

# preseed_license: answers the steamcmd package's debconf question
# before it is asked, as the operator said with --accept-steam-license.
preseed_license() {
	what='debconf-set-selections: steamcmd steam/question select I AGREE, steamcmd steam/license seen'
	if [ -n "$destdir" ]; then
		say "would run (skipped with DESTDIR): $what"
	elif [ "$dry_run" = 1 ]; then
		say "would run: $what"
	else
		say "run: $what (--accept-steam-license)"
		printf '%s\n' 'steamcmd steam/question select I AGREE' 'steamcmd steam/license note ' |
			debconf-set-selections
	fi
}

# game_packages: the i386 architecture, the game's 32-bit runtime and,
# with --with-steamcmd, Debian's steamcmd: whatever of it is missing.
game_packages() {
	if [ -n "$destdir" ]; then
		say "would run (skipped with DESTDIR): dpkg --add-architecture i386"
		say "would run (skipped with DESTDIR): apt-get install -y --no-install-recommends $game_libs"
		if [ "$with_steamcmd" = 1 ]; then
			if [ "$accept_license" = 1 ]; then
				preseed_license
			fi
			say "would run (skipped with DESTDIR): apt-get install -y $steamcmd_pkg"
		fi
		return
	fi
	if ! debian_amd64; then
		warn "not a Debian amd64 host: install the game server's 32-bit runtime yourself (glibc, libgcc and libstdc++ for i386)"
		return
	fi
	added=0
	if ! dpkg --print-foreign-architectures | grep -qx i386; then
		run dpkg --add-architecture i386
		added=1
	fi
	missing=
	for p in $game_libs; do
		if ! installed "$p"; then
			missing="$missing $p"
		fi
	done
	if [ -z "$missing" ] && ! steamcmd_missing; then
		if [ "$added" = 0 ]; then
			say "unchanged: the i386 architecture and the game's 32-bit runtime ($game_libs)"
		fi
		return
	fi
	# What is installed needs package lists that know it: fresh ones. One
	# source failing (a mirror in the middle of a sync, a third-party
	# repository) need not stop an install from the others; apt-get
	# install says whether what is needed was found.
	if ! run apt-get update; then
		warn "apt-get update failed (above); going on with the package lists there are"
	fi
	if [ -n "$missing" ]; then
		# shellcheck disable=SC2086 # one word per package
		run env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing ||
			die "could not install the game's 32-bit runtime:$missing (check the network and APT's sources, then run $prog again)"
	fi
	if ! steamcmd_missing; then
		return
	fi
	# A dry run added no architecture, so its lists may not know i386.
	if [ "$dry_run" = 0 ] && ! apt-cache show "$steamcmd_pkg" >/dev/null 2>&1; then
		die "APT knows no $steamcmd_pkg: Debian has it in the non-free component. Add non-free to Components: in /etc/apt/sources.list.d/debian.sources (or to the deb lines of /etc/apt/sources.list), then run $prog again"
	fi
	if [ "$accept_license" = 1 ]; then
		preseed_license
		run env DEBIAN_FRONTEND=noninteractive apt-get install -y "$steamcmd_pkg" ||
			die "could not install $steamcmd_pkg"
	else
		say "Debian's steamcmd asks you to accept Valve's Steam License Agreement (debconf): read it, and answer I AGREE to install it"
		run apt-get install -y "$steamcmd_pkg" ||
			die "$steamcmd_pkg was not installed (I DECLINE stops it); run $prog --with-steamcmd again to be asked again"
	fi
}

# check_home: steamcmd keeps its files in the left4me user's home
# (Debian's in ~/.local/share/Steam and ~/.steam, Valve's partly in
# ~/.steam), and the game server loads ~/.steam/sdk32/steamclient.so from
# there. left4me-web.service may write only below /var/lib/left4me
# (ProtectSystem=strict) and sees nothing in /home (ProtectHome=yes), so
# the home must be /var/lib/left4me, as useradd above makes it. A user
# made by hand may have another.
check_home() {
	if [ -n "$destdir" ] || ! getent passwd left4me >/dev/null; then
		return
	fi
	home=$(getent passwd left4me | cut -d: -f6)
	if [ "$home" != "$state" ]; then
		warn "the left4me user's home is $home, not $state: steamcmd writes there and the game server looks for ~/.steam/sdk32/steamclient.so there, where left4me-web.service cannot write (ProtectSystem=strict, ProtectHome=yes); run: usermod -d $state left4me"
	fi
}

# check_steamcmd: where the panel is to run --steamcmd from.
check_steamcmd() {
	case $steamcmd in
	"$debian_steamcmd") ;; # Debian's wrapper keeps its files in the home
	"$state"/*)
		if [ -z "$destdir" ] && [ -e "$steamcmd" ] && getent passwd left4me >/dev/null &&
			! runuser -u left4me -- test -w "${steamcmd%/*}"; then
			warn "left4me cannot write ${steamcmd%/*}: Valve's steamcmd.sh updates itself there and keeps linux32/ and appcache/ beside itself; make the directory left4me's"
		fi
		;;
	*)
		warn "$steamcmd is outside $state, the only place left4me-web.service may write (ProtectSystem=strict): Valve's steamcmd.sh updates itself and keeps linux32/ and appcache/ beside itself, so put it in $state/steamcmd, or give its directory to the unit in a drop-in (ReadWritePaths=${steamcmd%/*})"
		;;
	esac
	if [ -z "$destdir" ] && [ ! -e "$steamcmd" ]; then
		say "note: $steamcmd is not there yet: unpack Valve's steamcmd_linux.tar.gz into ${steamcmd%/*} as left4me (deploy/README.md)"
	elif [ -z "$destdir" ] && [ ! -x "$steamcmd" ]; then
		warn "$steamcmd is not executable"
	fi
}

# Check everything before changing anything.
for f in libexec/left4me-systemctl libexec/left4me-journalctl libexec/left4me-srcds \
	sudoers/left4me systemd/left4me-server@.service systemd/left4me-web.service; do
	[ -f "$src/$f" ] || die "$src/$f is missing; run $prog from a left4me checkout or set LEFT4ME_SRC"
done
if [ -n "$binary" ]; then
	if [ ! -f "$binary" ] || [ ! -x "$binary" ]; then
		die "--binary $binary is not an executable file"
	fi
	# make build puts the layers helper beside the panel.
	if [ -z "$layers_helper" ] && [ -f "${binary%/*}/left4me-layers" ]; then
		case $binary in
		*/*) layers_helper=${binary%/*}/left4me-layers ;;
		esac
	fi
fi
if [ -n "$layers_helper" ] && { [ ! -f "$layers_helper" ] || [ ! -x "$layers_helper" ]; }; then
	die "--layers-helper $layers_helper is not an executable file"
fi
case $srcds in
/*) ;;
*) die "--srcds must be an absolute path, got '$srcds'" ;;
esac
case $srcds in
*[!ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/._+-]*)
	die "--srcds $srcds: use letters, digits and / . _ + - only"
	;;
esac
if [ -n "$steamcmd" ]; then
	case $steamcmd in
	/*) ;;
	*) die "--steamcmd must be an absolute path, got '$steamcmd'" ;;
	esac
	case $steamcmd in
	*[!ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/._+-]*)
		die "--steamcmd $steamcmd: use letters, digits and / . _ + - only"
		;;
	/home/* | /root/* | /run/user/*)
		die "--steamcmd $steamcmd: left4me-web.service cannot see it (ProtectHome=yes); put Valve's steamcmd in $state/steamcmd"
		;;
	esac
	[ "$with_steamcmd" = 0 ] ||
		die "--steamcmd names Valve's steamcmd.sh, --with-steamcmd installs Debian's: choose one"
fi
if [ "$accept_license" = 1 ] && [ "$with_steamcmd" = 0 ]; then
	die "--accept-steam-license accepts the licence of Debian's steamcmd package; it goes with --with-steamcmd"
fi
if [ "$with_steamcmd" = 1 ] && [ -z "$destdir" ]; then
	debian_amd64 ||
		die "--with-steamcmd installs Debian's steamcmd package, which needs dpkg and apt-get on an amd64 host; use Valve's steamcmd.sh with --steamcmd PATH"
	# debconf asks on the terminal; without one (or told not to ask) it
	# answers nothing, and the package's preinst refuses to install.
	if [ "$accept_license" = 0 ] && steamcmd_missing &&
		{ [ ! -t 0 ] || [ "${DEBIAN_FRONTEND:-}" = noninteractive ]; }; then
		die "Debian's steamcmd asks you to accept Valve's Steam License Agreement, and there is no terminal to ask on: run $prog --with-steamcmd on a terminal to read and answer it, or add --accept-steam-license to accept it yourself (it is at store.steampowered.com/subscriber_agreement)"
	fi
fi
if [ -z "$destdir" ] && [ "$dry_run" = 0 ] && [ "$(id -u)" != 0 ]; then
	die "run as root (sudo $0), or set DESTDIR to install into a directory"
fi
command -v visudo >/dev/null || die "visudo not found; install the sudo package first"
visudo -c -f "$src/sudoers/left4me" >/dev/null ||
	die "visudo rejects $src/sudoers/left4me; nothing was installed"
if [ "$enable_web" = 1 ] && [ -z "$binary" ] && [ ! -x "$destdir/usr/local/bin/left4me" ]; then
	die "--enable-web needs the left4me binary; pass --binary PATH"
fi
if [ -n "$destdir" ] && [ ! -d "$destdir" ]; then
	run mkdir -p "$destdir"
fi

# The game's packages first: a host that cannot fetch them gets nothing
# else half-installed.
game_packages

# The user and group the panel and the game servers run as.
if [ -n "$destdir" ]; then
	say "would create the system user and group left4me if missing (skipped with DESTDIR)"
else
	if ! getent group left4me >/dev/null; then
		run groupadd --system left4me
	fi
	if ! getent passwd left4me >/dev/null; then
		run useradd --system --gid left4me --home-dir /var/lib/left4me \
			--no-create-home --shell /usr/sbin/nologin --comment 'left4me game servers' left4me
	fi
fi
check_home

# Directories.
ensure_dir 750 left4me:left4me /var/lib/left4me
ensure_inner_dir 750 /var/lib/left4me/instances
ensure_dir 755 root:root /etc/left4me
# srcds reads an instance's server.cfg through the game's
# left4dead2/cfg/left4me-server.cfg: a link to where left4me-srcds copies
# it, in a tmpfs that exists only in each instance unit's own mount
# namespace (see left4me-server@.service). The game tree is left4me's
# (the game is installed and updated there as left4me), so what is
# missing of it is created as left4me, and so is the link: root acts on
# nothing in it.
cfg_link_target=/run/left4me-instance/server.cfg
ensure_game_dir /var/lib/left4me/game
ensure_game_dir /var/lib/left4me/game/left4dead2
ensure_game_dir /var/lib/left4me/game/left4dead2/cfg
ensure_cfg_link /var/lib/left4me/game/left4dead2/cfg/left4me-server.cfg
ensure_parent /usr/local/libexec
ensure_dir 755 root:root /usr/local/libexec/left4me
ensure_parent /etc/sudoers.d
ensure_parent /etc/systemd/system

# Files. In a dry run the directories may not exist yet; install_file and
# write_config only print then, so that is fine.
for f in left4me-systemctl left4me-journalctl left4me-srcds; do
	install_file 755 "$src/libexec/$f" "/usr/local/libexec/left4me/$f"
done
# The unit runs it as root to mount an instance's add-on layers; not in
# the sudoers file.
if [ -n "$layers_helper" ]; then
	install_file 755 "$layers_helper" /usr/local/libexec/left4me/left4me-layers
elif [ ! -f "$destdir/usr/local/libexec/left4me/left4me-layers" ]; then
	say "note: no left4me-layers installed (pass --layers-helper PATH, or --binary with left4me-layers beside it): servers whose blueprint has add-on sets cannot start"
fi
install_file 440 "$src/sudoers/left4me" /etc/sudoers.d/left4me sudoers
install_file 644 "$src/systemd/left4me-server@.service" /etc/systemd/system/left4me-server@.service
install_file 644 "$src/systemd/left4me-web.service" /etc/systemd/system/left4me-web.service
if [ -n "$binary" ]; then
	ensure_parent /usr/local/bin
	install_file 755 "$binary" /usr/local/bin/left4me
fi

write_config 644 /etc/left4me/server.env <<EOF
# Settings for every left4me-server@ instance, read by systemd
# (EnvironmentFile=). install.sh writes this file once and never
# overwrites it.
#
# The game server program the instances run (left4me-srcds starts it).
LEFT4ME_SRCDS=$srcds
EOF

write_config 600 /etc/left4me/web.env <<'EOF'
# Settings for left4me-web.service, read by systemd (EnvironmentFile=).
# install.sh writes this file once and never changes a setting in it (it
# adds LEFT4ME_STEAMCMD for --steamcmd when none is set). A variable set
# here overrides the unit's Environment= defaults, which are:
#LEFT4ME_DB=/var/lib/left4me/left4me.db
#LEFT4ME_BACKEND=sudo
EOF
# Valve's steamcmd.sh, for the panel (Debian's is found without).
if [ -n "$steamcmd" ]; then
	check_steamcmd
	set_config_key /etc/left4me/web.env LEFT4ME_STEAMCMD "$steamcmd"
fi

# Tell systemd about the units; start the panel only when asked.
if [ -z "$destdir" ] && [ ! -d /run/systemd/system ]; then
	say "systemd is not running here; skipping systemctl daemon-reload"
else
	system systemctl daemon-reload
fi
if [ "$enable_web" = 1 ]; then
	system systemctl enable --now left4me-web.service
else
	say "left4me-web.service is not started; run 'systemctl enable --now left4me-web.service' or pass --enable-web"
fi
