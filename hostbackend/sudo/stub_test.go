package sudo

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/left4me/left4me/hostbackend"
	"github.com/left4me/left4me/hostbackend/hostbackendtest"
)

// The stub host: POSIX sh stand-ins for sudo and the two root helpers.
//
// The scripts are written once per test binary (TestMain) and each stub
// host links to them from its own t.TempDir(). Writing an executable while
// another goroutine forks lets the child inherit the open file and makes
// exec fail with ETXTBSY (golang/go#22315); symlinks avoid writing
// executables while tests run. A script finds its host's state directory
// next to the symlink it was called through: ${0%/*}/../state.
//
// State directory files a test may create:
//
//	sudo-deny              sudo refuses like sudo -n without a sudoers rule
//	unit-NAME              "ACTIVE SUB ENABLED NRESTARTS PID SINCE|- RESULT"
//	notfound-NAME          show reports LoadState=not-found for NAME
//	fail-VERB-NAME         the helper prints the file on stderr and exits 1
//	hang-VERB-NAME         the helper prints "hanging", then execs sleep 3600
//	term-VERB-NAME         the helper writes a line on stderr, then SIGTERMs itself
//	hangfork-VERB-NAME     ... then waits on a forked sleep 3600
//	hangstubborn-VERB-NAME ... same, but ignoring SIGTERM
//	gate-VERB-NAME         the helper prints "waiting for the gate" and waits
//	                       for open-VERB-NAME to exist
//	stdout-VERB-NAME       the helper prints the file on stdout first
//	chatter-VERB-NAME      the helper prints out0..out499 on stdout and
//	                       err0..err499 on stderr, interleaved
//	journal-NAME           what the stub journalctl prints of the unit's
//	                       log: appendJournal writes entries in JSON
//
// Logs: sudo.log holds sudo's argv, calls.log each helper invocation's
// argv headed by the helper ("systemctl" or "journalctl"); one
// invocation per line, arguments separated by tabs.

var stubScripts = map[string]string{
	"sudo": `#!/bin/sh
# Stub sudo: insists on -n (never prompt), logs its argv, runs the rest.
set -u
state=${0%/*}/../state
line=sudo
for a in "$@"; do
	line="$line	$a"
done
printf '%s\n' "$line" >>"$state/sudo.log"
if [ "${1-}" != -n ]; then
	echo "stub sudo: called without -n" >&2
	exit 1
fi
if [ -e "$state/sudo-deny" ]; then
	echo "sudo: a password is required" >&2
	exit 1
fi
shift
exec "$@"
`,

	"common.sh": `# shellcheck shell=sh
# Shared by the helper stubs; sourced with "." after $state is set.
# shellcheck disable=SC2154 # $state comes from the sourcing script.

log_call() { # helper args...
	line=$1
	shift
	for a in "$@"; do
		line="$line	$a"
	done
	# One printf, so one write: concurrent invocations do not interleave.
	printf '%s\n' "$line" >>"$state/calls.log"
}

valid_name() {
	case $1 in
	'' | [!a-z0-9]* | *[!a-z0-9_-]*) return 1 ;;
	esac
	[ "${#1}" -le 32 ]
}

# inject VERB NAME: the failure, output and blocking hooks.
inject() {
	if [ -f "$state/fail-$1-$2" ]; then
		cat "$state/fail-$1-$2" >&2
		exit 1
	fi
	if [ -f "$state/stdout-$1-$2" ]; then
		cat "$state/stdout-$1-$2"
	fi
	if [ -f "$state/chatter-$1-$2" ]; then
		i=0
		while [ "$i" -lt 500 ]; do
			echo "out$i"
			echo "err$i" >&2
			i=$((i + 1))
		done
	fi
	if [ -f "$state/gate-$1-$2" ]; then
		echo "waiting for the gate"
		while [ ! -e "$state/open-$1-$2" ]; do
			sleep 0.01
		done
	fi
	if [ -f "$state/hang-$1-$2" ]; then
		echo hanging
		exec sleep 3600
	fi
	if [ -f "$state/term-$1-$2" ]; then
		echo "Created symlink for $2." >&2
		kill -TERM $$
	fi
	if [ -f "$state/hangfork-$1-$2" ]; then
		echo hanging
		sleep 3600 &
		wait
	fi
	if [ -f "$state/hangstubborn-$1-$2" ]; then
		trap '' TERM
		echo hanging
		sleep 3600 &
		wait
	fi
}
`,

	"left4me-systemctl": `#!/bin/sh
# Stub left4me-systemctl: a tiny systemd keeping unit state in files.
set -u
state=${0%/*}/../state
# shellcheck source=/dev/null
. "${0%/*}/common.sh"

usage() {
	echo "usage: left4me-systemctl enable|disable|restart NAME | show NAME..." >&2
	exit 2
}

read_unit() {
	active=inactive sub=dead enabled=no nrestarts=0 pid=0 since=- result=success
	if [ -f "$state/unit-$1" ]; then
		read -r active sub enabled nrestarts pid since result <"$state/unit-$1"
	fi
}

write_unit() { # name active sub enabled nrestarts pid since result
	printf '%s %s %s %s %s %s %s\n' "$2" "$3" "$4" "$5" "$6" "$7" "$8" >"$state/unit-$1.$$"
	mv "$state/unit-$1.$$" "$state/unit-$1"
}

log_call systemctl "$@"
[ $# -ge 2 ] || usage
verb=$1
shift
case $verb in
enable | disable | restart) [ $# -eq 1 ] || usage ;;
show) [ $# -le 500 ] || usage ;;
*) usage ;;
esac
for name in "$@"; do
	valid_name "$name" || usage
done
for name in "$@"; do
	inject "$verb" "$name"
done

unit_path=/etc/systemd/system/left4me-server@.service
case $verb in
enable)
	read_unit "$1"
	if [ "$enabled" != yes ]; then
		echo "Created symlink /etc/systemd/system/multi-user.target.wants/left4me-server@$1.service -> $unit_path." >&2
	fi
	if [ "$active" != active ]; then
		pid=$$ since=$(date +%s)
	fi
	write_unit "$1" active running yes "$nrestarts" "$pid" "$since" success
	;;
disable)
	read_unit "$1"
	if [ "$enabled" = yes ]; then
		echo "Removed \"/etc/systemd/system/multi-user.target.wants/left4me-server@$1.service\"." >&2
	fi
	if [ "$active" != inactive ]; then
		since=$(date +%s)
	fi
	write_unit "$1" inactive dead no "$nrestarts" 0 "$since" success
	;;
restart)
	read_unit "$1"
	write_unit "$1" active running "$enabled" "$nrestarts" $$ "$(date +%s)" success
	;;
show)
	# Like systemctl show: Service properties before Unit ones, an empty
	# line between units.
	first=yes
	for name in "$@"; do
		[ "$first" = yes ] || echo
		first=no
		read_unit "$name"
		load=loaded
		if [ -e "$state/notfound-$name" ]; then
			load=not-found
		fi
		stamp=
		if [ "$since" != - ]; then
			stamp=@$since
		fi
		filestate=disabled
		if [ "$enabled" = yes ]; then
			filestate=enabled
		fi
		printf 'Result=%s\nNRestarts=%s\nMainPID=%s\nId=left4me-server@%s.service\nLoadState=%s\nActiveState=%s\nSubState=%s\nStateChangeTimestamp=%s\nUnitFileState=%s\n' \
			"$result" "$nrestarts" "$pid" "$name" "$load" "$active" "$sub" "$stamp" "$filestate"
	done
	;;
esac
`,

	"left4me-journalctl": `#!/bin/sh
# Stub left4me-journalctl: prints and follows journal-NAME.
set -u
state=${0%/*}/../state
# shellcheck source=/dev/null
. "${0%/*}/common.sh"

usage() {
	echo "usage: left4me-journalctl NAME --lines N --follow|--no-follow" >&2
	exit 2
}

log_call journalctl "$@"
if [ $# -ne 4 ] || [ "$2" != --lines ]; then
	usage
fi
name=$1 lines=$3 mode=$4
valid_name "$name" || usage
case $lines in
'' | *[!0-9]*) usage ;;
esac
if [ "$lines" -lt 1 ] || [ "$lines" -gt 10000 ]; then
	usage
fi
case $mode in
--follow | --no-follow) ;;
*) usage ;;
esac
inject journal "$name"

log=$state/journal-$name
if [ "$mode" = --no-follow ]; then
	if [ -f "$log" ]; then
		exec tail -n "$lines" "$log"
	fi
	exit 0
fi
: >>"$log"
exec tail -n "$lines" -f "$log"
`,
}

// stubDir holds the scripts of stubScripts, written by TestMain.
var stubDir string

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "left4me-sudo-stubs-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	for name, text := range stubScripts {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o755); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	stubDir = dir
	// No test reaches a real system bus: Show falls back to the stub helper.
	systemBusAddress = "unix:path=" + filepath.Join(dir, "no-system-bus")
	return m.Run()
}

// stubHost is one fake host: links to the stub scripts, their state
// directory and a state root, plus a Backend wired to them.
type stubHost struct {
	dir     string // the host's directory
	bin     string // symlinks to the stubs
	state   string // the stubs' state and logs
	root    string // the backend's state root
	backend *Backend
}

func newStubHost(tb testing.TB) *stubHost {
	tb.Helper()
	dir := tb.TempDir()
	h := &stubHost{
		dir:   dir,
		bin:   filepath.Join(dir, "bin"),
		state: filepath.Join(dir, "state"),
		root:  filepath.Join(dir, "root"),
	}
	for _, d := range []string{h.bin, h.state, h.root} {
		if err := os.Mkdir(d, 0o755); err != nil {
			tb.Fatal(err)
		}
	}
	for name := range stubScripts {
		if err := os.Symlink(filepath.Join(stubDir, name), filepath.Join(h.bin, name)); err != nil {
			tb.Fatal(err)
		}
	}
	b, err := New(h.config())
	if err != nil {
		tb.Fatal(err)
	}
	h.backend = b
	return h
}

func (h *stubHost) config() hostbackend.Config {
	return hostbackend.Config{
		StateRoot:        h.root,
		Sudo:             filepath.Join(h.bin, "sudo"),
		SystemctlHelper:  filepath.Join(h.bin, "left4me-systemctl"),
		JournalctlHelper: filepath.Join(h.bin, "left4me-journalctl"),
	}
}

// set creates the state file name with content.
func (h *stubHost) set(tb testing.TB, name, content string) {
	tb.Helper()
	if err := os.WriteFile(filepath.Join(h.state, name), []byte(content), 0o644); err != nil {
		tb.Fatal(err)
	}
}

// unset removes the state file name.
func (h *stubHost) unset(tb testing.TB, name string) {
	tb.Helper()
	if err := os.Remove(filepath.Join(h.state, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		tb.Fatal(err)
	}
}

// appendJournal appends lines to the unit's log in one write, as the
// stub's tail -f expects: same file, growing. Each line is an entry as
// journalctl -o json --output-fields=MESSAGE prints it, recorded now.
func (h *stubHost) appendJournal(tb testing.TB, name string, lines []string) {
	tb.Helper()
	entries := make([]string, len(lines))
	for i, l := range lines {
		entries[i] = journalJSON(tb, time.Now(), l)
	}
	h.appendJournalRaw(tb, name, entries)
}

// journalJSON is one journal entry with the message m recorded at at, as
// journalctl -o json --output-fields=MESSAGE prints it.
func journalJSON(tb testing.TB, at time.Time, m string) string {
	tb.Helper()
	b, err := json.Marshal(map[string]string{
		"__CURSOR":              "s=0;i=" + strconv.FormatInt(at.UnixNano(), 16),
		"__REALTIME_TIMESTAMP":  strconv.FormatInt(at.UnixMicro(), 10),
		"__MONOTONIC_TIMESTAMP": "1",
		"_BOOT_ID":              "0123456789abcdef0123456789abcdef",
		"MESSAGE":               m,
	})
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

// appendJournalRaw appends lines to what the stub journalctl prints, as
// they are.
func (h *stubHost) appendJournalRaw(tb testing.TB, name string, lines []string) {
	tb.Helper()
	f, err := os.OpenFile(filepath.Join(h.state, "journal-"+name), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	if len(lines) == 0 {
		return
	}
	if _, err := f.WriteString(strings.Join(lines, "\n") + "\n"); err != nil {
		tb.Fatal(err)
	}
}

// log returns the argv lines of one of the stub logs; a partly written
// last line is left out.
func (h *stubHost) log(tb testing.TB, file string) [][]string {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join(h.state, file))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		tb.Fatal(err)
	}
	text := string(data)
	if i := strings.LastIndexByte(text, '\n'); i >= 0 {
		text = text[:i]
	} else {
		return nil
	}
	var argvs [][]string
	for _, line := range strings.Split(text, "\n") {
		argvs = append(argvs, strings.Split(line, "\t"))
	}
	return argvs
}

// sudoArgvs returns the argument vectors sudo was run with, without the
// sudo path.
func (h *stubHost) sudoArgvs(tb testing.TB) [][]string {
	tb.Helper()
	argvs := h.log(tb, "sudo.log")
	for i := range argvs {
		argvs[i] = argvs[i][1:]
	}
	return argvs
}

// calls returns the helper invocations as the conformance suite sees them.
func (h *stubHost) calls(tb testing.TB) []hostbackendtest.Call {
	tb.Helper()
	var calls []hostbackendtest.Call
	for _, argv := range h.log(tb, "calls.log") {
		var c hostbackendtest.Call
		switch {
		case argv[0] == "journalctl" && len(argv) > 1:
			c = hostbackendtest.Call{Verb: "journal", Names: argv[1:2]}
		case argv[0] == "systemctl" && len(argv) > 1:
			c = hostbackendtest.Call{Verb: argv[1], Names: argv[2:]}
		default:
			c = hostbackendtest.Call{Verb: strings.Join(argv, " ")}
		}
		calls = append(calls, c)
	}
	return calls
}

// harness wires the stub host to the conformance suite's hooks.
func (h *stubHost) harness(t *testing.T) hostbackendtest.Harness {
	return hostbackendtest.Harness{
		Backend:   h.backend,
		StateRoot: h.root,
		Calls:     func() []hostbackendtest.Call { return h.calls(t) },
		Fail: func(verb, name, message string) {
			if message == "" {
				h.unset(t, "fail-"+verb+"-"+name)
				return
			}
			h.set(t, "fail-"+verb+"-"+name, message+"\n")
		},
		Hang:      func(verb, name string) { h.set(t, "hang-"+verb+"-"+name, "") },
		Interrupt: func(verb, name string) { h.set(t, "term-"+verb+"-"+name, "") },
		SeedJournal: func(name string, lines []string) {
			// Truncate in place rather than replace, so a running tail -f
			// keeps following the same file.
			h.set(t, "journal-"+name, "")
			h.appendJournal(t, name, lines)
		},
		AppendJournal: func(name string, lines []string) { h.appendJournal(t, name, lines) },
	}
}
