package main

import (
	"net/http"
	"regexp"
	"testing"
)

func TestServeLogsAOneTimeSetupLinkWhenNoUserExists(t *testing.T) {
	p := startPanel(t, "-job-workers", "0")
	addr, logs := p.Addr, p.Logs
	link := regexp.MustCompile(`http://` + regexp.QuoteMeta(addr) + `/setup\?token=[A-Za-z0-9_-]{43}`).FindString(logs.String())
	if link == "" {
		t.Fatalf("no setup link in the log:\n%s", logs.String())
	}
	resp, err := http.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET the setup link = %d", resp.StatusCode)
	}
	resp, err = http.Get("http://" + addr + "/setup?token=guess")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Fatalf("a guessed token = %d, want 404", resp.StatusCode)
	}
}
