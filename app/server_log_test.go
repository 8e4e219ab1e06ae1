package app_test

import (
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/left4me/left4me/app"
	"github.com/left4me/left4me/hostbackend"
	"github.com/left4me/left4me/hostbackend/fake"
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

func TestLogLinesShowTheirJournalTime(t *testing.T) {
	e := newEnv(t)
	storetest.Server(t, e.db, "coop-1", 27015)
	e.clock.Advance(-e.clock.Now().Sub(time.Date(2026, 11, 30, 9, 21, 8, 250_000_000, time.UTC)))
	e.backend.SeedJournal("coop-1", []string{"Player Zoey joined"})
	e.clock.Advance(time.Hour + 2*time.Second)
	e.backend.AppendJournal("coop-1", []string{"map c2m1 loaded"})
	c := e.as(store.RoleOperator)

	_, frag := c.get("/servers/coop-1/log")
	box := testid(frag, "log-box")
	times, lines := box.Find(`[data-testid="log-time"]`), box.Find(`[data-testid="log-line"]`)
	if times.Length() != 2 || lines.Length() != 2 {
		t.Fatalf("%d times for %d lines, want one each for 2:\n%s", times.Length(), lines.Length(), box.Text())
	}
	want := []struct{ datetime, text, title, line string }{
		{"2026-11-30T09:21:08.25Z", "09:21:08", "2026-11-30 09:21:08 UTC", "Player Zoey joined"},
		{"2026-11-30T10:21:10.25Z", "10:21:10", "2026-11-30 10:21:10 UTC", "map c2m1 loaded"},
	}
	for i, w := range want {
		tm := times.Eq(i)
		if !tm.Is("time") || tm.AttrOr("datetime", "") != w.datetime || tm.Text() != w.text || tm.AttrOr("title", "") != w.title {
			t.Errorf("line %d's time: <%s datetime=%q title=%q>%s, want datetime %q, %q, title %q",
				i, goquery.NodeName(tm), tm.AttrOr("datetime", ""), tm.AttrOr("title", ""), tm.Text(), w.datetime, w.text, w.title)
		}
		// The time stands before its line, outside the element app.js
		// anchors the reader's place on.
		if next := tm.Next(); next.AttrOr("data-testid", "") != "log-line" || strings.TrimSpace(next.Text()) != w.line {
			t.Errorf("after line %d's time: %q, want the line %q", i, next.Text(), w.line)
		}
	}
	if got := box.Text(); !strings.Contains(got, "09:21:08 Player Zoey joined\n10:21:10 map c2m1 loaded\n") {
		t.Errorf("the log box reads %q, want each line after its time", got)
	}

	// The filter looks at the lines' text, not at their times.
	_, frag = c.get("/servers/coop-1/log?q=09:21")
	if n := testid(frag, "log-line").Length(); n != 0 || testid(frag, "log-empty").Length() != 1 {
		t.Errorf("q=09:21 matched %d lines by their time", n)
	}
	_, frag = c.get("/servers/coop-1/log?q=zoey")
	if tm := testid(frag, "log-time"); testid(frag, "log-line").Length() != 1 || tm.Length() != 1 || tm.Text() != "09:21:08" {
		t.Errorf("q=zoey: %d lines, times %q", testid(frag, "log-line").Length(), tm.Text())
	}

	// The download: each line after its time in RFC 3339, UTC.
	resp := c.do(httptest.NewRequest("GET", "/servers/coop-1/log.txt", nil))
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if want := "2026-11-30T09:21:08Z Player Zoey joined\n2026-11-30T10:21:10Z map c2m1 loaded\n"; string(body) != want {
		t.Errorf("log.txt = %q, want %q", body, want)
	}
}

func TestDownloadLogIsPlainTextOfTheLastLines(t *testing.T) {
	e := newEnv(t)
	storetest.Server(t, e.db, "coop-1", 27015)
	var lines []string
	for i := 1; i <= 1500; i++ {
		lines = append(lines, fmt.Sprintf("line %d", i))
	}
	seeded := e.clock.Now()
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
			stamp := seeded.UTC().Format(time.RFC3339) + " "
			got := strings.Split(strings.TrimSuffix(string(body), "\n"), "\n")
			if len(got) != tc.wantN || got[0] != stamp+tc.wantFirst || got[len(got)-1] != stamp+"line 1500" {
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

// untimed is a host whose journal gives no times, as a line journalctl's
// output could not be read from.
type untimed struct{ *fake.Backend }

func (u untimed) Journal(ctx context.Context, name string, lines int, follow bool, out hostbackend.LineFunc) error {
	return u.Backend.Journal(ctx, name, lines, follow, func(l hostbackend.Line) {
		l.Time = time.Time{}
		out(l)
	})
}

func TestALogLineWithoutATimeShowsNone(t *testing.T) {
	e := newEnv(t, func(o *app.Options) { o.Backend = untimed{o.Backend.(*fake.Backend)} })
	storetest.Server(t, e.db, "coop-1", 27015)
	e.backend.SeedJournal("coop-1", []string{"-- No entries --"})

	c := e.as(store.RoleOperator)
	_, frag := c.get("/servers/coop-1/log")
	if l := testid(frag, "log-line"); l.Length() != 1 || testid(frag, "log-time").Length() != 0 || testid(frag, "log-box").Text() != "-- No entries --\n" {
		t.Errorf("fragment: %d lines, %d times, box %q", l.Length(), testid(frag, "log-time").Length(), testid(frag, "log-box").Text())
	}

	resp := c.do(httptest.NewRequest("GET", "/servers/coop-1/log.txt", nil))
	defer resp.Body.Close()
	if body, _ := io.ReadAll(resp.Body); string(body) != "-- No entries --\n" {
		t.Errorf("log.txt = %q, want the line alone", body)
	}

	op, _ := e.apiAs("bob", store.RoleOperator)
	var got map[string]any
	op.callJSON("GET", "/api/v1/servers/coop-1/log", nil, 200, &got)
	lines, _ := got["lines"].([]any)
	if len(lines) != 1 || !reflect.DeepEqual(lines[0], map[string]any{"text": "-- No entries --", "time": nil}) {
		t.Errorf("API lines = %#v, want the line with a null time", got["lines"])
	}
}
