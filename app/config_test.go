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
		{"an address without a port", nil, []string{"LEFT4ME_ADDR", "localhost"}, "LEFT4ME_ADDR"},
		{"a proxy header with a space", nil, []string{"LEFT4ME_PROXY_HEADER", "X Real IP"}, "LEFT4ME_PROXY_HEADER"},
		{"a bad boolean", nil, []string{"LEFT4ME_SECURE_COOKIES", "yes please"}, "LEFT4ME_SECURE_COOKIES"},
		{"no shutdown grace", nil, []string{"LEFT4ME_SHUTDOWN_GRACE", "0"}, "LEFT4ME_SHUTDOWN_GRACE"},
		{"a negative connection limit", nil, []string{"LEFT4ME_MAX_CONNS", "-1"}, "LEFT4ME_MAX_CONNS"},
		{"a negative per-address limit", []string{"-max-conns-per-addr", "-5"}, nil, "LEFT4ME_MAX_CONNS_PER_ADDR"},
		{"a bad flag value", []string{"-job-workers", "x"}, nil, "job-workers"},
		{"an unknown flag", []string{"-nope"}, nil, "nope"},
		{"a stray argument", []string{"extra"}, nil, "extra"},
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
		"LEFT4ME_STATE_POLLER_INTERVAL", "LEFT4ME_JOB_WORKERS", "LEFT4ME_SECURE_COOKIES", "LEFT4ME_MAX_CONNS", "LEFT4ME_MAX_CONNS_PER_ADDR"} {
		if !strings.Contains(h, v) {
			t.Errorf("help lacks %s", v)
		}
	}
}
