package deploy_test

import (
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/left4me/left4me/hostbackend"
)

// hostileName is a name every helper must refuse.
type hostileName struct {
	what string // completes "refuses a name with ..."
	name string
}

var hostileNames = []hostileName{
	{"nothing in it", ""},
	{"a parent directory", "../x"},
	{"a slash", "a/b"},
	{"the shape of an option", "-h"},
	{"the shape of a long option", "--now"},
	{"a space", "a b"},
	{"a tab", "a\tb"},
	{"a command substitution", "$(id)"},
	{"a backquote", "`id`"},
	{"a semicolon", ";reboot"},
	{"a newline inside", "a\nb"},
	{"a trailing newline", "abc\n"},
	{"a leading newline", "\nabc"},
	{"33 characters", strings.Repeat("a", 33)},
	{"33 characters ending in a dash", strings.Repeat("a", 32) + "-"},
	{"uppercase letters", "Upper"},
	{"a single uppercase letter", "A"},
	{"a non-ASCII letter", "café"},
	{"a lone non-ASCII letter", "é"},
	{"a byte that is not UTF-8", "a\xff"},
	{"a DEL character", "a\x7f"},
	{"a leading dot", ".hidden"},
	{"a dot", "a.service"},
	{"a leading dash", "-dash"},
	{"a leading underscore", "_under"},
	{"an at sign", "a@b"},
	{"a glob star", "a*"},
	{"only a glob star", "*"},
	{"a bracket expression", "[a-z]"},
	{"a question mark", "a?"},
	{"a backslash", `a\b`},
	{"a quote", `a"b`},
	{"an equals sign", "a=b"},
}

var goodNames = []string{
	"a", "0", "coop-1", "versus_2", "a-_", "9lives", "a-", "z_",
	strings.Repeat("z", 32), "0123456789abcdefghijklmnopqrstuv",
}

func unit(name string) string { return "left4me-server@" + name + ".service" }

var showProperties = []string{
	"show", "--timestamp=unix",
	"--property=Id,LoadState,ActiveState,SubState,Result,NRestarts,MainPID,StateChangeTimestamp,UnitFileState",
	"--property=ActiveEnterTimestamp,CPUUsageNSec,MemoryCurrent,MemoryPeak,MemoryMax,TasksCurrent",
}

func showArgv(names ...string) []string {
	argv := append([]string(nil), showProperties...)
	for _, n := range names {
		argv = append(argv, unit(n))
	}
	return argv
}

func manyNames(n int) []string {
	names := make([]string, n)
	for i := range names {
		names[i] = "server-" + strconv.Itoa(i)
	}
	return names
}

func TestHelpersHoldTheirSeamLineAndReadNoEnvironment(t *testing.T) {
	t.Parallel()
	for _, h := range []struct{ path, variable string }{
		{systemctlHelper, "systemctl"},
		{journalctlHelper, "journalctl"},
	} {
		t.Run(h.path+" names its binary on one fixed line", func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(h.path)
			if err != nil {
				t.Fatal(err)
			}
			script := string(data)
			seamLine := h.variable + "=/usr/bin/" + h.variable
			equal(t, "lines equal to "+seamLine, strings.Count("\n"+script, "\n"+seamLine+"\n"), 1)
			assigned := regexp.MustCompile(`(?m)^\s*`+h.variable+`=`).FindAllString(script, -1)
			equal(t, "assignments of "+h.variable, len(assigned), 1)
			if !strings.Contains(script, `exec "$`+h.variable+`"`) {
				t.Errorf("%s never runs \"$%s\"", h.path, h.variable)
			}
			for _, l := range strings.Split(script, "\n") {
				if strings.Contains(l, "exec ") && !strings.Contains(l, `exec "$`+h.variable+`"`) {
					t.Errorf("%s runs something other than $%s: %q", h.path, h.variable, l)
				}
			}
			for _, v := range expandedButNotAssigned(script) {
				t.Errorf("%s expands $%s, which it never assigns: it must read nothing from the environment", h.path, v)
			}
		})
	}
}

// expandedButNotAssigned returns the variables a shell script expands
// without assigning them itself; positional and special parameters do
// not count. Comments are ignored.
func expandedButNotAssigned(script string) []string {
	var code strings.Builder
	for _, l := range strings.Split(script, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "#") {
			continue
		}
		code.WriteString(l + "\n")
	}
	assigned := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)(?:^\s*(?:export\s+)?|\bfor\s+)([A-Za-z_][A-Za-z0-9_]*)(?:=|\s+in\b)`).FindAllStringSubmatch(code.String(), -1) {
		assigned[m[1]] = true
	}
	var missing []string
	seen := map[string]bool{}
	for _, m := range regexp.MustCompile(`\$\{?#?([A-Za-z_][A-Za-z0-9_]*)`).FindAllStringSubmatch(code.String(), -1) {
		if v := m[1]; !assigned[v] && !seen[v] {
			seen[v] = true
			missing = append(missing, v)
		}
	}
	return missing
}

func TestSystemctlHelperRefusesHostileArguments(t *testing.T) {
	t.Parallel()
	s := newSeam(t, systemctlHelper, "systemctl")
	type tc struct {
		name string
		args []string
	}
	var tests []tc
	for _, h := range hostileNames {
		for _, verb := range []string{"enable", "disable", "restart", "show"} {
			tests = append(tests, tc{verb + " refuses a name with " + h.what, []string{verb, h.name}})
		}
		tests = append(tests,
			tc{"show refuses a name with " + h.what + " between good names", []string{"show", "a", h.name, "b"}},
			tc{"show refuses a name with " + h.what + " after 499 good names", append(append([]string{"show"}, manyNames(499)...), h.name)},
		)
	}
	tests = append(tests, []tc{
		{"no arguments at all are refused", nil},
		{"an empty verb is refused", []string{"", "a"}},
		{"start is not a verb", []string{"start", "a"}},
		{"stop is not a verb", []string{"stop", "a"}},
		{"status is not a verb", []string{"status", "a"}},
		{"reload is not a verb", []string{"reload", "a"}},
		{"an uppercase verb is refused", []string{"ENABLE", "a"}},
		{"a verb with an option glued on is refused", []string{"enable=a"}},
		{"a help option is refused", []string{"--help"}},
		{"an option before the verb is refused", []string{"--now", "enable", "a"}},
		{"enable without a name is refused", []string{"enable"}},
		{"enable with two names is refused", []string{"enable", "a", "b"}},
		{"enable with an extra option is refused", []string{"enable", "a", "--now"}},
		{"disable without a name is refused", []string{"disable"}},
		{"disable with two names is refused", []string{"disable", "a", "b"}},
		{"restart without a name is refused", []string{"restart"}},
		{"restart with two names is refused", []string{"restart", "a", "b"}},
		{"show without names is refused", []string{"show"}},
		{"show with 501 names is refused", append([]string{"show"}, manyNames(501)...)},
		{"show with an option among the names is refused", []string{"show", "a", "--all"}},
	}...)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			wantRefused(t, s.run(t, tt.args...))
		})
	}
}

func TestSystemctlHelperRunsSystemctlWithExactArguments(t *testing.T) {
	t.Parallel()
	s := newSeam(t, systemctlHelper, "systemctl")
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"enable starts the unit now and at every boot", []string{"enable", "coop-1"}, []string{"enable", "--now", unit("coop-1")}},
		{"disable stops the unit now and at every boot", []string{"disable", "coop-1"}, []string{"disable", "--now", unit("coop-1")}},
		{"restart restarts the unit", []string{"restart", "versus_2"}, []string{"restart", unit("versus_2")}},
		{"show asks for one unit", []string{"show", "a"}, showArgv("a")},
		{"show asks for three units in the order given", []string{"show", "c", "a", "b-2"}, showArgv("c", "a", "b-2")},
		{"show asks for 500 units in one process", append([]string{"show"}, manyNames(500)...), showArgv(manyNames(500)...)},
		{"show passes a repeated name on as it is", []string{"show", "a", "a"}, showArgv("a", "a")},
	}
	for _, n := range goodNames {
		tests = append(tests, struct {
			name string
			args []string
			want []string
		}{"enable accepts the name " + strconv.Quote(n), []string{"enable", n}, []string{"enable", "--now", unit(n)}})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			wantRan(t, s.run(t, tt.args...), tt.want)
		})
	}
}

func TestSystemctlHelperPassesOnSystemctlsExitStatus(t *testing.T) {
	t.Parallel()
	s := newSeam(t, systemctlHelper, "systemctl")
	r := runRecorded(t, s.helper, []string{"STUB_EXIT=5"}, "restart", "a")
	equal(t, "exit status", r.code, 5)
	equal(t, "stub argv", r.argv, []string{"restart", unit("a")})
}

func TestJournalctlHelperRefusesHostileArguments(t *testing.T) {
	t.Parallel()
	s := newSeam(t, journalctlHelper, "journalctl")
	type tc struct {
		name string
		args []string
	}
	var tests []tc
	for _, h := range hostileNames {
		tests = append(tests,
			tc{"following refuses a name with " + h.what, []string{h.name, "--lines", "10", "--follow"}},
			tc{"not following refuses a name with " + h.what, []string{h.name, "--lines", "10", "--no-follow"}},
		)
	}
	for _, l := range []struct{ what, n string }{
		{"zero", "0"}, {"10001", "10001"}, {"minus one", "-1"}, {"a letter after the digits", "1x"},
		{"nothing", ""}, {"a leading zero", "010"}, {"only zeros", "00"}, {"a plus sign", "+5"},
		{"an exponent", "1e3"}, {"a leading space", " 5"}, {"a trailing newline", "5\n"},
		{"a number too big for test(1)", "99999999999999999999999"}, {"a hex number", "0x10"},
		{"a non-ASCII digit", "٣"}, {"a fraction", "1.5"},
	} {
		tests = append(tests, tc{"--lines refuses " + l.what, []string{"a", "--lines", l.n, "--no-follow"}})
	}
	tests = append(tests, []tc{
		{"no arguments at all are refused", nil},
		{"a name alone is refused", []string{"a"}},
		{"a missing follow mode is refused", []string{"a", "--lines", "10"}},
		{"a fifth argument is refused", []string{"a", "--lines", "10", "--follow", "b"}},
		{"the name after the options is refused", []string{"--lines", "10", "--follow", "a"}},
		{"the mode before --lines is refused", []string{"a", "--follow", "--lines", "10"}},
		{"the count before --lines is refused", []string{"a", "10", "--lines", "--follow"}},
		{"--lines=N in one argument is refused", []string{"a", "--lines=10", "--follow", "x"}},
		{"-n instead of --lines is refused", []string{"a", "-n", "10", "--follow"}},
		{"-f instead of --follow is refused", []string{"a", "--lines", "10", "-f"}},
		{"an uppercase mode is refused", []string{"a", "--lines", "10", "--FOLLOW"}},
		{"--follow=yes is refused", []string{"a", "--lines", "10", "--follow=yes"}},
		{"an empty mode is refused", []string{"a", "--lines", "10", ""}},
		{"a journalctl option as the mode is refused", []string{"a", "--lines", "10", "--merge"}},
	}...)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			wantRefused(t, s.run(t, tt.args...))
		})
	}
}

// journalArgv is journalctl's argument vector when the helper reads name's
// log: its lines as JSON entries (the message and its time).
func journalArgv(name, lines, last string) []string {
	return []string{"-u", unit(name), "-o", "json", "--output-fields=MESSAGE", "--all", "-q", "--lines", lines, last}
}

func TestJournalctlHelperRunsJournalctlWithExactArguments(t *testing.T) {
	t.Parallel()
	s := newSeam(t, journalctlHelper, "journalctl")
	journal := journalArgv
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"not following prints the last lines without a pager", []string{"coop-1", "--lines", "25", "--no-follow"}, journal("coop-1", "25", "--no-pager")},
		{"following keeps streaming", []string{"coop-1", "--lines", "25", "--follow"}, journal("coop-1", "25", "--follow")},
		{"one line is the least", []string{"a", "--lines", "1", "--no-follow"}, journal("a", "1", "--no-pager")},
		{"10000 lines is the most", []string{"a", "--lines", "10000", "--follow"}, journal("a", "10000", "--follow")},
		{"9999 lines is allowed", []string{"a", "--lines", "9999", "--no-follow"}, journal("a", "9999", "--no-pager")},
	}
	for _, n := range goodNames {
		tests = append(tests, struct {
			name string
			args []string
			want []string
		}{"the name " + strconv.Quote(n) + " is accepted", []string{n, "--lines", "10", "--no-follow"}, journal(n, "10", "--no-pager")})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			wantRan(t, s.run(t, tt.args...), tt.want)
		})
	}
}

// FuzzHelperNameRule checks that both helpers accept exactly the names
// hostbackend.ValidateName accepts, and pass an accepted name on intact.
func FuzzHelperNameRule(f *testing.F) {
	for _, h := range hostileNames {
		f.Add(h.name)
	}
	for _, n := range goodNames {
		f.Add(n)
	}
	f.Add("a\x00b")
	systemctl := newSeam(f, systemctlHelper, "systemctl")
	journalctl := newSeam(f, journalctlHelper, "journalctl")
	f.Fuzz(func(t *testing.T, name string) {
		if strings.ContainsRune(name, 0) {
			t.Skip("an exec argument cannot hold a NUL byte")
		}
		valid := hostbackend.ValidateName(name) == nil

		r := systemctl.run(t, "enable", name)
		ok := r.code == 0 && r.ran && slices.Equal(r.argv, []string{"enable", "--now", unit(name)})
		if ok != valid {
			t.Errorf("ValidateName(%q) accepts: %v, but left4me-systemctl enable exited %d, ran the stub: %v with %q, stderr %q",
				name, valid, r.code, r.ran, r.argv, r.stderr)
		}
		if !valid {
			wantRefused(t, r)
		}

		r = journalctl.run(t, name, "--lines", "10", "--no-follow")
		ok = r.code == 0 && r.ran && slices.Equal(r.argv, journalArgv(name, "10", "--no-pager"))
		if ok != valid {
			t.Errorf("ValidateName(%q) accepts: %v, but left4me-journalctl exited %d, ran the stub: %v with %q, stderr %q",
				name, valid, r.code, r.ran, r.argv, r.stderr)
		}
		if !valid {
			wantRefused(t, r)
		}
	})
}

// TestHelperLimitsMatchHostbackend keeps the helpers' limits in step with
// the Go side's, as the fuzz test does for the name rule.
func TestHelperLimitsMatchHostbackend(t *testing.T) {
	t.Parallel()
	systemctl := newSeam(t, systemctlHelper, "systemctl")
	journalctl := newSeam(t, journalctlHelper, "journalctl")
	most := strconv.Itoa(hostbackend.MaxJournalLines)
	tooMany := strconv.Itoa(hostbackend.MaxJournalLines + 1)

	t.Run("show takes hostbackend.MaxShowNames names", func(t *testing.T) {
		t.Parallel()
		names := manyNames(hostbackend.MaxShowNames)
		wantRan(t, systemctl.run(t, append([]string{"show"}, names...)...), showArgv(names...))
	})
	t.Run("show refuses one name more than hostbackend.MaxShowNames", func(t *testing.T) {
		t.Parallel()
		wantRefused(t, systemctl.run(t, append([]string{"show"}, manyNames(hostbackend.MaxShowNames+1)...)...))
	})
	t.Run("journalctl takes hostbackend.MaxJournalLines lines", func(t *testing.T) {
		t.Parallel()
		wantRan(t, journalctl.run(t, "a", "--lines", most, "--no-follow"),
			journalArgv("a", most, "--no-pager"))
	})
	t.Run("journalctl refuses one line more than hostbackend.MaxJournalLines", func(t *testing.T) {
		t.Parallel()
		wantRefused(t, journalctl.run(t, "a", "--lines", tooMany, "--no-follow"))
	})
}
