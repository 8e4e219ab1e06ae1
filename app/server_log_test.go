package app_test

import (
	"fmt"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/store/storetest"
)

func TestTheLogFilterShowsOnlyMatchingLinesAndRidesEveryPoll(t *testing.T) {
	e := newEnv(t)
	storetest.Server(t, e.db, "coop-1", 27015)
	var lines []string
	for i := 1; i <= 300; i++ {
		lines = append(lines, fmt.Sprintf("line %d", i))
	}
	lines = append(lines, "Player Zoey joined", "map c2m1 loaded")
	e.backend.SeedJournal("coop-1", lines)
	c := e.as(store.RoleOperator)

	_, page := c.get("/servers/coop-1")
	box := testid(page, "log-filter")
	if box.AttrOr("name", "") != "q" || box.AttrOr("hx-get", "") != "/servers/coop-1/log" || box.AttrOr("hx-target", "") != "#server-log" {
		t.Errorf("filter box: name %q hx-get %q hx-target %q", box.AttrOr("name", ""), box.AttrOr("hx-get", ""), box.AttrOr("hx-target", ""))
	}
	if testid(page, "server-log").Find(`[data-testid="log-filter"], [data-testid="log-paused"]`).Length() != 0 {
		t.Error("the filter box or the note is inside the polled log: a poll would undo them")
	}
	if testid(page, "server-log").AttrOr("hx-include", "") != "#log-filter" {
		t.Error("the log's poll does not carry the filter")
	}
	if n := testid(page, "log-paused"); n.Length() != 1 || n.AttrOr("hidden", "no") == "no" {
		t.Error("no hidden note for a log that does not follow")
	}

	tests := []struct {
		q         string
		wantLines []string
		wantEmpty bool
	}{
		{q: "zoey", wantLines: []string{"Player Zoey joined"}},
		{q: "e 30", wantLines: []string{"line 30", "line 300"}},
		{q: "nothing like this", wantEmpty: true},
	}
	for _, tc := range tests {
		t.Run("q="+tc.q, func(t *testing.T) {
			code, frag := c.get("/servers/coop-1/log?q=" + strings.ReplaceAll(tc.q, " ", "+"))
			if code != 200 {
				t.Fatalf("GET = %d", code)
			}
			var got []string
			testid(frag, "log-line").Each(func(_ int, s *goquery.Selection) { got = append(got, strings.TrimSpace(s.Text())) })
			if strings.Join(got, "|") != strings.Join(tc.wantLines, "|") {
				t.Errorf("lines %q, want %q", got, tc.wantLines)
			}
			if empty := testid(frag, "log-empty"); (empty.Length() == 1) != tc.wantEmpty || (tc.wantEmpty && !strings.Contains(empty.Text(), tc.q)) {
				t.Errorf("empty note %q", empty.Text())
			}
		})
	}
	// Without a filter, the last 100 lines, the newest last.
	_, frag := c.get("/servers/coop-1/log")
	if l := testid(frag, "log-line"); l.Length() != 100 || strings.TrimSpace(l.Last().Text()) != "map c2m1 loaded" || strings.TrimSpace(l.First().Text()) != "line 203" {
		t.Errorf("unfiltered: %d lines, %q … %q", l.Length(), l.First().Text(), l.Last().Text())
	}
}

func TestDownloadLogIsPlainTextOfTheLastLines(t *testing.T) {
	e := newEnv(t)
	storetest.Server(t, e.db, "coop-1", 27015)
	var lines []string
	for i := 1; i <= 1500; i++ {
		lines = append(lines, fmt.Sprintf("line %d", i))
	}
	e.backend.SeedJournal("coop-1", lines)
	c := e.as(store.RoleOperator)

	_, page := c.get("/servers/coop-1")
	link := testid(page, "log-download")
	if link.AttrOr("href", "") != "/servers/coop-1/log.txt" || link.AttrOr("hx-boost", "") != "false" {
		t.Fatalf("download link: href %q hx-boost %q", link.AttrOr("href", ""), link.AttrOr("hx-boost", ""))
	}
	tests := []struct {
		path       string
		wantStatus int
		wantFirst  string
		wantN      int
	}{
		{path: "/servers/coop-1/log.txt", wantStatus: 200, wantFirst: "line 501", wantN: 1000},
		{path: "/servers/coop-1/log.txt?lines=3", wantStatus: 200, wantFirst: "line 1498", wantN: 3},
		{path: "/servers/coop-1/log.txt?lines=0", wantStatus: 400},
		{path: "/servers/coop-1/log.txt?lines=many", wantStatus: 400},
		{path: "/servers/nope/log.txt", wantStatus: 404},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			resp := c.do(httptest.NewRequest("GET", tc.path, nil))
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.wantStatus, body)
			}
			if tc.wantStatus != 200 {
				return
			}
			if ct := resp.Header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
				t.Errorf("Content-Type %q", ct)
			}
			if cd := resp.Header.Get("Content-Disposition"); cd != `attachment; filename="coop-1.log"` {
				t.Errorf("Content-Disposition %q", cd)
			}
			got := strings.Split(strings.TrimSuffix(string(body), "\n"), "\n")
			if len(got) != tc.wantN || got[0] != tc.wantFirst || got[len(got)-1] != "line 1500" {
				t.Errorf("%d lines, %q … %q", len(got), got[0], got[len(got)-1])
			}
		})
	}
	// Not logged in: to the login page, no log.
	resp := e.anon().do(httptest.NewRequest("GET", "/servers/coop-1/log.txt", nil))
	if resp.StatusCode != 302 && resp.StatusCode != 303 {
		t.Errorf("anonymous download: %d", resp.StatusCode)
	}
}
