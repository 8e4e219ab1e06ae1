package app_test

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/left4me/left4me/app"
	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/store/storetest"
)

func TestDashboardListsServersWithTheirStates(t *testing.T) {
	e := newEnv(t)
	storetest.Server(t, e.db, "coop-1", 27015)
	storetest.Server(t, e.db, "vs-2", 27016)
	c := e.as(store.RoleOperator)

	code, doc := c.get("/")
	if code != 200 {
		t.Fatalf("GET / = %d", code)
	}
	rows := doc.Find(`[data-testid="server-row"]`)
	if rows.Length() != 2 {
		t.Fatalf("%d server rows, want 2", rows.Length())
	}
	if name, _ := rows.First().Attr("data-name"); name != "coop-1" {
		t.Errorf("first row is %q, want coop-1", name)
	}
	if st, _ := rows.First().Find(`[data-testid="badge"]`).Attr("data-state"); st != "unknown" {
		t.Errorf("badge state %q, want unknown for a never-polled server", st)
	}
	if doc.Find(`[data-testid="simulated-notice"]`).Length() != 0 {
		t.Error("a real-host panel shows the simulated-host notice")
	}

	// The status fragment is the same table, alone.
	code, frag := c.get("/servers/status")
	if code != 200 || frag.Find(`[data-testid="server-row"]`).Length() != 2 || frag.Find("html header").Length() != 0 {
		t.Fatalf("fragment: %d, %d rows", code, frag.Find(`[data-testid="server-row"]`).Length())
	}
}

func TestDashboardSaysWhenTheHostIsSimulated(t *testing.T) {
	e := newEnv(t, func(o *app.Options) { o.Simulated = true })
	_, doc := e.as(store.RoleOperator).get("/")
	if doc.Find(`[data-testid="simulated-notice"]`).Length() != 1 {
		t.Fatal("no simulated-host notice with the fake backend")
	}
	if doc.Find(`[data-testid="no-servers"]`).Length() != 1 {
		t.Fatal("an empty panel does not say there are no servers")
	}
}

func TestHealthz(t *testing.T) {
	db := storetest.Open(t)
	tick := time.Date(2026, 11, 25, 21, 0, 0, 0, time.UTC)
	f := app.New(app.Options{DB: db, WorkersRunning: func() bool { return true }, PollerLastTick: func() time.Time { return tick }})
	resp, err := f.Test(httptest.NewRequest("GET", "/healthz", nil), -1)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		OK             bool       `json:"ok"`
		Database       string     `json:"database"`
		WorkersRunning bool       `json:"workers_running"`
		PollerLastTick *time.Time `json:"poller_last_tick"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || !got.OK || got.Database != "ok" || !got.WorkersRunning || got.PollerLastTick == nil || !got.PollerLastTick.Equal(tick) {
		t.Fatalf("healthz = %d %+v", resp.StatusCode, got)
	}

	db.Close()
	resp, err = f.Test(httptest.NewRequest("GET", "/healthz", nil), -1)
	if err != nil {
		t.Fatal(err)
	}
	got.Database = ""
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 503 || got.OK || got.Database != "unreachable" {
		t.Fatalf("healthz with a closed database = %d %+v, want 503 and no driver error in public", resp.StatusCode, got)
	}
}

func TestSecurityHeadersOnEveryResponse(t *testing.T) {
	f := app.New(app.Options{DB: storetest.Open(t)})
	for _, path := range []string{"/", "/healthz", "/no-such-page"} {
		resp, err := f.Test(httptest.NewRequest("GET", path, nil), -1)
		if err != nil {
			t.Fatal(err)
		}
		csp := resp.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe") {
			t.Errorf("GET %s CSP = %q", path, csp)
		}
		if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s lacks nosniff", path)
		}
	}
}

func TestPagesLoadOnlyOwnEmbeddedAssets(t *testing.T) {
	e := newEnv(t)
	f := e.app
	_, doc := e.as(store.RoleAdmin).get("/")
	n := 0
	doc.Find("script[src], link[rel=stylesheet]").Each(func(_ int, s *goquery.Selection) {
		u := s.AttrOr("src", s.AttrOr("href", ""))
		n++
		if !strings.HasPrefix(u, "/static/") {
			t.Errorf("asset %q is not served by the panel", u)
			return
		}
		resp, err := f.Test(httptest.NewRequest("GET", u, nil), -1)
		if err != nil || resp.StatusCode != 200 {
			t.Errorf("GET %s = %v %v", u, resp.StatusCode, err)
		}
	})
	if n != 5 {
		t.Errorf("%d assets, want htmx, idiomorph, pico, app.js and app.css", n)
	}
	if doc.Find("script:not([src]), style, [style]").Length() != 0 {
		t.Error("a page has inline script or style, which the CSP forbids")
	}
}

func TestNoPageNeedsWhatTheCSPForbids(t *testing.T) {
	e := newEnv(t)
	storetest.Server(t, e.db, "coop-1", 27015)
	c := e.as(store.RoleAdmin)
	loc := c.post("/servers/coop-1/start", nil).Header.Get("Location")
	for _, path := range []string{"/", "/servers/status", "/servers/new", "/servers/coop-1", "/servers/coop-1/state",
		"/servers/coop-1/log", loc, loc + "/output", "/blueprints", "/blueprints/new", "/blueprints/1", "/users", "/login"} {
		code, doc := c.get(path)
		if code != 200 && !(path == "/login" && code == 303) {
			t.Errorf("GET %s = %d", path, code)
		}
		if n := doc.Find("script:not([src]), style, [style]").Length(); n != 0 {
			t.Errorf("GET %s: %d inline scripts or styles", path, n)
		}
		doc.Find("*").Each(func(_ int, s *goquery.Selection) {
			for _, a := range s.Nodes[0].Attr {
				if strings.HasPrefix(a.Key, "hx-on") || strings.HasPrefix(a.Key, "on") {
					t.Errorf("GET %s: <%s %s> needs inline script", path, s.Nodes[0].Data, a.Key)
				}
			}
		})
		doc.Find("form[method=post]").Each(func(_ int, f *goquery.Selection) {
			if f.Find(`input[name="_csrf"]`).AttrOr("value", "") == "" {
				t.Errorf("GET %s: form %s has no CSRF field", path, f.AttrOr("action", ""))
			}
		})
	}
}
