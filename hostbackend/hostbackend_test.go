package hostbackend_test

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/left4me/left4me/hostbackend"
	"github.com/left4me/left4me/hostbackend/hostbackendtest"
)

func TestValidateName(t *testing.T) {
	tests := []struct {
		name    string
		wantErr bool
	}{
		{"a", false},
		{"0", false},
		{"coop-1", false},
		{"versus_2", false},
		{"a-_", false},
		{strings.Repeat("z", 32), false},
		{strings.Repeat("z", 33), true},
		{"", true},
		{"A", true},
		{"coop.1", true},
		{"ü", true},
		{"a\n", true},
		{"a\x00", true},
		{" a", true},
	}
	for _, h := range hostbackendtest.HostileNames {
		tests = append(tests, struct {
			name    string
			wantErr bool
		}{h, true})
	}
	for _, tt := range tests {
		err := hostbackend.ValidateName(tt.name)
		if (err != nil) != tt.wantErr {
			t.Errorf("ValidateName(%q) = %v, want error %v", tt.name, err, tt.wantErr)
		}
		if err != nil && !errors.Is(err, hostbackend.ErrInvalidName) {
			t.Errorf("ValidateName(%q) error %v does not wrap ErrInvalidName", tt.name, err)
		}
	}
}

func TestMapState(t *testing.T) {
	tests := []struct {
		active, sub string
		want        hostbackend.State
	}{
		{"active", "running", hostbackend.StateRunning},
		{"activating", "auto-restart", hostbackend.StateCrashLooping},
		{"activating", "start", hostbackend.StateStarting},
		{"activating", "start-pre", hostbackend.StateStarting},
		{"deactivating", "stop-sigterm", hostbackend.StateStopping},
		{"inactive", "dead", hostbackend.StateStopped},
		{"failed", "failed", hostbackend.StateFailed},
		{"active", "exited", hostbackend.StateUnknown},
		{"", "", hostbackend.StateUnknown},
		{"bogus", "running", hostbackend.StateUnknown},
	}
	for _, tt := range tests {
		if got := hostbackend.MapState(tt.active, tt.sub); got != tt.want {
			t.Errorf("MapState(%q, %q) = %s, want %s", tt.active, tt.sub, got, tt.want)
		}
	}
	unknownUnit := hostbackend.UnitStatus{Name: "x", Known: false, ActiveState: "failed"}
	if got := unknownUnit.State(); got != hostbackend.StateStopped {
		t.Errorf("a unit systemd does not know is %s, want stopped", got)
	}
}

func TestValidateArg(t *testing.T) {
	good := []string{"+map", "c1m1_hotel", "-tickrate", "100", "+sv_gametypes", "coop,versus", "+exec", "server.cfg"}
	for _, a := range good {
		if err := hostbackend.ValidateArg(a); err != nil {
			t.Errorf("ValidateArg(%q) = %v, want nil", a, err)
		}
	}
	bad := []string{"", "two words", "tab\there", "new\nline", `"quoted"`, "it's", `back\slash`, "$HOME", "`id`", "ünï", strings.Repeat("x", 257)}
	for _, a := range bad {
		if err := hostbackend.ValidateArg(a); err == nil {
			t.Errorf("ValidateArg(%q) = nil, want an error", a)
		}
	}
}

func TestInstanceEnvQuoting(t *testing.T) {
	if got, want := hostbackend.EnvQuote(`a"b\c$d`+"`e"), `"a\"b\\c\$d`+"\\`e\""; got != want {
		t.Errorf("EnvQuote = %s, want %s", got, want)
	}
	env := string(hostbackend.InstanceEnv(hostbackend.InstanceSpec{Name: "coop-1", Port: 27015, Args: []string{"+map", "c1m1_hotel"}}))
	for _, want := range []string{"LEFT4ME_INSTANCE=\"coop-1\"\n", "LEFT4ME_PORT=\"27015\"\n", "SRCDS_ARGS=\"+map c1m1_hotel\"\n"} {
		if !strings.Contains(env, want) {
			t.Errorf("instance.env lacks %q:\n%s", want, env)
		}
	}
}

func TestOpenUnknownBackend(t *testing.T) {
	_, err := hostbackend.Open("nope", hostbackend.Config{})
	if err == nil || !strings.Contains(err.Error(), `unknown host backend "nope"`) {
		t.Fatalf("Open(nope) = %v", err)
	}
}

// nameRule is the rule as DESIGN.md writes it; ValidateName must agree.
var nameRule = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)

func FuzzValidateName(f *testing.F) {
	for _, s := range append([]string{"a", "coop-1", "z_9"}, hostbackendtest.HostileNames...) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		err := hostbackend.ValidateName(name)
		ok := nameRule.MatchString(name)
		if (err == nil) != ok {
			t.Fatalf("ValidateName(%q) = %v, rule says ok=%v", name, err, ok)
		}
		if err == nil && strings.ContainsAny(name, "/. \n$;") {
			t.Fatalf("accepted dangerous name %q", name)
		}
	})
}

func TestValidateNameNamesTheCharacterAsTyped(t *testing.T) {
	tests := []struct{ name, want string }{
		{"café", "“café” contains “é”"},
		{"Coop", "“Coop” contains the capital “C” (use “c”)"},
		{"co op", "“co op” contains a space"},
		{"a\u200bb", "“a·b” contains the invisible character U+200B"},
		{"a\xc3", "“a·” contains the byte 0xC3, which is not UTF-8 text"},
		{"-a", "“-a” starts with “-”"},
		{strings.Repeat("a", 40), "the name is 40 characters long, at most 32 are allowed"},
	}
	for _, tt := range tests {
		err := hostbackend.ValidateName(tt.name)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ValidateName(%q) = %v, want it to say %s", tt.name, err, tt.want)
		}
	}
}
