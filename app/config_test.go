package app_test

import (
	"strings"
	"testing"
	"time"

	"github.com/left4me/left4me/app"
	_ "github.com/left4me/left4me/hostbackend/fake"
)

func getenvOf(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func TestLoadConfigDefaults(t *testing.T) {
	c, err := app.LoadConfig(nil, getenvOf("LEFT4ME_BACKEND", "fake"))
	if err != nil {
		t.Fatal(err)
	}
	want := app.DefaultConfig()
	want.Backend = "fake"
	if c != want {
		t.Fatalf("config = %+v, want %+v", c, want)
	}
	if c.Addr != "127.0.0.1:8080" || c.PortRangeStart != 27015 || c.PortRangeEnd != 27115 || c.PollerInterval != 30*time.Second || c.JobWorkers != 4 {
		t.Fatalf("documented defaults changed: %+v", c)
	}
}

func TestLoadConfigEnvironmentAndFlags(t *testing.T) {
	c, err := app.LoadConfig(
		[]string{"-addr", "127.0.0.1:9999", "-job-workers", "2"},
		getenvOf("LEFT4ME_BACKEND", "fake", "LEFT4ME_ADDR", "127.0.0.1:1", "LEFT4ME_DB", "x.db",
			"LEFT4ME_STATE_POLLER_INTERVAL", "5s", "LEFT4ME_SECURE_COOKIES", "true",
			"LEFT4ME_PORT_RANGE_START", "28000", "LEFT4ME_PORT_RANGE_END", "28010", "LEFT4ME_JOB_WORKERS", "0"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:9999" || c.JobWorkers != 2 {
		t.Errorf("flags did not win over the environment: %+v", c)
	}
	if c.DB != "x.db" || c.PollerInterval != 5*time.Second || !c.SecureCookies || c.PortRangeStart != 28000 || c.PortRangeEnd != 28010 {
		t.Errorf("environment not applied: %+v", c)
	}
}

func TestLoadConfigBadValuesNameTheVariable(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     []string
		wantErr string
	}{
		{"a word for workers", nil, []string{"LEFT4ME_JOB_WORKERS", "many"}, "LEFT4ME_JOB_WORKERS"},
		{"negative workers", nil, []string{"LEFT4ME_JOB_WORKERS", "-1"}, "LEFT4ME_JOB_WORKERS"},
		{"an unknown backend", nil, []string{"LEFT4ME_BACKEND", "docker"}, "LEFT4ME_BACKEND"},
		{"a port range upside down", nil, []string{"LEFT4ME_PORT_RANGE_START", "28000", "LEFT4ME_PORT_RANGE_END", "27000"}, "LEFT4ME_PORT_RANGE_END"},
		{"a privileged port", nil, []string{"LEFT4ME_PORT_RANGE_START", "80"}, "LEFT4ME_PORT_RANGE_START"},
		{"a bad interval", nil, []string{"LEFT4ME_STATE_POLLER_INTERVAL", "soon"}, "LEFT4ME_STATE_POLLER_INTERVAL"},
		{"a too short interval", nil, []string{"LEFT4ME_STATE_POLLER_INTERVAL", "10ms"}, "LEFT4ME_STATE_POLLER_INTERVAL"},
		{"a too short live interval", nil, []string{"LEFT4ME_LIVE_INTERVAL", "100ms"}, "LEFT4ME_LIVE_INTERVAL"},
		{"a too short live retention", nil, []string{"LEFT4ME_LIVE_RETENTION", "10m"}, "LEFT4ME_LIVE_RETENTION"},
		{"a too short start timeout", nil, []string{"LEFT4ME_START_TIMEOUT", "10ms"}, "LEFT4ME_START_TIMEOUT"},
		{"an address without a port", nil, []string{"LEFT4ME_ADDR", "localhost"}, "LEFT4ME_ADDR"},
		{"a proxy header with a space", nil, []string{"LEFT4ME_PROXY_HEADER", "X Real IP"}, "LEFT4ME_PROXY_HEADER"},
		{"a bad boolean", nil, []string{"LEFT4ME_SECURE_COOKIES", "yes please"}, "LEFT4ME_SECURE_COOKIES"},
		{"no shutdown grace", nil, []string{"LEFT4ME_SHUTDOWN_GRACE", "0"}, "LEFT4ME_SHUTDOWN_GRACE"},
		{"a negative connection limit", nil, []string{"LEFT4ME_MAX_CONNS", "-1"}, "LEFT4ME_MAX_CONNS"},
		{"a negative per-address limit", []string{"-max-conns-per-addr", "-5"}, nil, "LEFT4ME_MAX_CONNS_PER_ADDR"},
		{"a bad flag value", []string{"-job-workers", "x"}, nil, "job-workers"},
		{"an unknown flag", []string{"-nope"}, nil, "nope"},
		{"a stray argument", []string{"extra"}, nil, "extra"},
		{"a Steam user with a space", nil, []string{"LEFT4ME_STEAM_USER", "ann +quit"}, "LEFT4ME_STEAM_USER"},
		{"a Steam user starting a command", nil, []string{"LEFT4ME_STEAM_USER", "+app_update"}, "LEFT4ME_STEAM_USER"},
		{"an update check every second", nil, []string{"LEFT4ME_GAME_UPDATE_CHECK", "1s"}, "LEFT4ME_GAME_UPDATE_CHECK"},
		{"free space in gigs", nil, []string{"LEFT4ME_GAME_FREE_SPACE", "15 gigs"}, "LEFT4ME_GAME_FREE_SPACE"},
		{"no free space", []string{"-game-free-space", "0"}, nil, "LEFT4ME_GAME_FREE_SPACE"},
		{"add-on sets of no bytes", []string{"-addon-max-bytes", "0"}, nil, "LEFT4ME_ADDON_MAX_BYTES"},
		{"add-on sets of a word", nil, []string{"LEFT4ME_ADDON_MAX_BYTES", "lots"}, "LEFT4ME_ADDON_MAX_BYTES"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := append([]string{"LEFT4ME_BACKEND", "fake"}, tt.env...)
			_, err := app.LoadConfig(tt.args, getenvOf(e...))
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want one naming %s", err, tt.wantErr)
			}
		})
	}
}

func TestConfigHelpListsEveryVariable(t *testing.T) {
	h := app.ConfigHelp()
	for _, v := range []string{"LEFT4ME_ADDR", "LEFT4ME_DB", "LEFT4ME_BACKEND", "LEFT4ME_PORT_RANGE_START", "LEFT4ME_PORT_RANGE_END",
		"LEFT4ME_STATE_POLLER_INTERVAL", "LEFT4ME_JOB_WORKERS", "LEFT4ME_SECURE_COOKIES", "LEFT4ME_MAX_CONNS", "LEFT4ME_MAX_CONNS_PER_ADDR",
		"LEFT4ME_STEAMCMD", "LEFT4ME_STEAM_USER", "LEFT4ME_GAME_UPDATE_CHECK", "LEFT4ME_GAME_FREE_SPACE",
		"LEFT4ME_LIVE_INTERVAL", "LEFT4ME_LIVE_RETENTION", "LEFT4ME_START_TIMEOUT", "LEFT4ME_ADDON_MAX_BYTES"} {
		if !strings.Contains(h, v) {
			t.Errorf("help lacks %s", v)
		}
	}
}

func TestGameSettingsHaveTheirDefaultsAndReachTheHostBackend(t *testing.T) {
	d := app.DefaultConfig()
	if d.GameUpdateCheck != 6*time.Hour || d.GameFreeSpace != 15<<30 || d.SteamCMD != "" || d.SteamUser != "" {
		t.Fatalf("documented game defaults changed: %+v", d)
	}
	c, err := app.LoadConfig([]string{"-game-update-check", "0"}, getenvOf("LEFT4ME_BACKEND", "fake",
		"LEFT4ME_STEAMCMD", "/opt/steamcmd/steamcmd.sh", "LEFT4ME_STEAM_USER", "ann_l4d2", "LEFT4ME_GAME_FREE_SPACE", "20GiB"))
	if err != nil {
		t.Fatal(err)
	}
	if c.GameUpdateCheck != 0 {
		t.Errorf("LEFT4ME_GAME_UPDATE_CHECK 0 = %s, want 0 (never)", c.GameUpdateCheck)
	}
	hc := c.HostConfig()
	if hc.SteamCMD != "/opt/steamcmd/steamcmd.sh" || hc.SteamUser != "ann_l4d2" || hc.GameFreeSpace != 20<<30 {
		t.Errorf("HostConfig = %+v, want the steamcmd, the Steam user and 20 GiB", hc)
	}
	h := app.ConfigHelp()
	for _, want := range []string{"(default 6h0m0s)", "(default 15.0 GiB)", "(default none: anonymous, in two passes)"} {
		if !strings.Contains(h, want) {
			t.Errorf("help lacks %q:\n%s", want, h)
		}
	}
}

func TestStartTimeoutIsReadAndDefaultsTo120s(t *testing.T) {
	c, err := app.LoadConfig(nil, getenvOf("LEFT4ME_BACKEND", "fake"))
	if err != nil || c.StartTimeout != 120*time.Second {
		t.Fatalf("default: %s, %v", c.StartTimeout, err)
	}
	c, err = app.LoadConfig(nil, getenvOf("LEFT4ME_BACKEND", "fake", "LEFT4ME_START_TIMEOUT", "30s"))
	if err != nil || c.StartTimeout != 30*time.Second {
		t.Fatalf("LEFT4ME_START_TIMEOUT=30s: %s, %v", c.StartTimeout, err)
	}
}

func TestAddonMaxBytesIsReadAndDefaultsTo2GiB(t *testing.T) {
	c, err := app.LoadConfig(nil, getenvOf("LEFT4ME_BACKEND", "fake"))
	if err != nil || c.AddonMaxBytes != 2<<30 {
		t.Fatalf("default: %d, %v", c.AddonMaxBytes, err)
	}
	if h := app.ConfigHelp(); !strings.Contains(h, "-addon-max-bytes") || !strings.Contains(h, "(default 2.0 GiB)") {
		t.Errorf("help lacks the flag or its default:\n%s", h)
	}
	c, err = app.LoadConfig([]string{"-addon-max-bytes", "512MiB"}, getenvOf("LEFT4ME_BACKEND", "fake", "LEFT4ME_ADDON_MAX_BYTES", "1GiB"))
	if err != nil || c.AddonMaxBytes != 512<<20 {
		t.Fatalf("the flag over the variable: %d, %v", c.AddonMaxBytes, err)
	}
	c, err = app.LoadConfig(nil, getenvOf("LEFT4ME_BACKEND", "fake", "LEFT4ME_ADDON_MAX_BYTES", "1GiB"))
	if err != nil || c.AddonMaxBytes != 1<<30 {
		t.Fatalf("LEFT4ME_ADDON_MAX_BYTES=1GiB: %d, %v", c.AddonMaxBytes, err)
	}
}
