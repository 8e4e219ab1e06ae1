package app_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/store/storetest"
)

// csrfOf reads the session's CSRF token from a full page.
func csrfOf(t *testing.T, c *client) string {
	t.Helper()
	_, doc := c.get("/")
	tok, ok := doc.Find(`meta[name="csrf-token"]`).Attr("content")
	if !ok || tok == "" {
		t.Fatal("the page carries no CSRF token")
	}
	return tok
}

func TestEveryPollOfTheStatusTableCarriesItsOwnSessionsToken(t *testing.T) {
	e := newEnv(t)
	storetest.Server(t, e.db, "coop-1", 27015)
	storetest.Server(t, e.db, "vs-2", 27016)
	ann := e.sessionFor(e.user("ann", store.RoleOperator))
	bob := e.sessionFor(e.user("bob", store.RoleOperator))
	annTok, bobTok := csrfOf(t, ann), csrfOf(t, bob)
	if annTok == bobTok {
		t.Fatal("two sessions share a CSRF token")
	}
	for round := 0; round < 2; round++ { // the second round is served from the rendered cache
		for _, tc := range []struct {
			c          *client
			own, other string
		}{{ann, annTok, bobTok}, {bob, bobTok, annTok}} {
			code, doc := tc.c.get("/servers/status")
			if code != 200 {
				t.Fatalf("GET /servers/status = %d", code)
			}
			fields := doc.Find(`form input[name="_csrf"]`)
			if fields.Length() != 2 {
				t.Fatalf("%d CSRF fields, want one per server", fields.Length())
			}
			fields.Each(func(_ int, s *goquery.Selection) {
				if v, _ := s.Attr("value"); v != tc.own {
					t.Errorf("round %d: a form carries %q, want the session's own token", round, v)
				}
			})
			html, _ := doc.Html()
			if strings.Contains(html, tc.other) || strings.Contains(html, "csrf-placeholder") {
				t.Fatalf("round %d: the fragment leaks another token or the placeholder", round)
			}
		}
	}
}

func TestTheStatusTablesTimesFollowTheClock(t *testing.T) {
	e := newEnv(t)
	s := storetest.Server(t, e.db, "coop-1", 27015)
	ctx := context.Background()
	at := e.clock.Now().Add(-2 * time.Minute)
	if _, err := e.db.Writer().NewRaw(`UPDATE servers SET desired_state = 'running', actual_state = 'failed',
		systemd_result = 'oom-kill' WHERE id = ?`, s.ID).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.Writer().NewRaw(`INSERT INTO server_history (server_id, at, old_state, new_state, reason)
		VALUES (?, ?, 'running', 'failed', 'changed outside the panel')`, s.ID, at.UnixMilli()).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	c := e.as(store.RoleOperator)
	drift := func() string {
		_, doc := c.get("/servers/status")
		return doc.Find(`[data-testid="drift"]`).Text()
	}
	if got := drift(); !strings.Contains(got, "failed 2 min ago, out of memory") {
		t.Fatalf("drift = %q", got)
	}
	if got := drift(); !strings.Contains(got, "2 min ago") { // served again, same second
		t.Fatalf("drift again = %q", got)
	}
	e.clock.Advance(time.Minute)
	if got := drift(); !strings.Contains(got, "failed 3 min ago") {
		t.Fatalf("a minute later the drift = %q, want 3 min ago", got)
	}
}

// TestTheStatusTableMorphsWithStableIDsAndNamedButtons: the poll morphs
// the region (so focus and selection survive it), every row and button
// keeps the same id from one poll to the next, buttons say which server
// they act on, and each row's state is announced politely with the
// server's name.
func TestTheStatusTableMorphsWithStableIDsAndNamedButtons(t *testing.T) {
	e := newEnv(t)
	storetest.Server(t, e.db, "coop-1", 27015)
	storetest.Server(t, e.db, "vs-2", 27016)
	c := e.as(store.RoleOperator)

	ids := func(doc *goquery.Document) []string {
		var out []string
		doc.Find(`[data-testid="status-region"] [id]`).Each(func(_ int, s *goquery.Selection) {
			out = append(out, s.AttrOr("id", ""))
		})
		return out
	}
	_, page := c.get("/")
	region := page.Find(`[data-testid="status-region"]`)
	if region.AttrOr("hx-ext", "") != "morph" || region.AttrOr("hx-swap", "") != "morph" {
		t.Errorf("the status region swaps with hx-ext=%q hx-swap=%q, want morph", region.AttrOr("hx-ext", ""), region.AttrOr("hx-swap", ""))
	}
	// The boosted action forms inside swap a whole page into <body>; a
	// morph inherited from the region would morph <body> away.
	if region.AttrOr("hx-disinherit", "") != "hx-swap" {
		t.Errorf("the region's hx-disinherit = %q: its forms inherit the morph", region.AttrOr("hx-disinherit", ""))
	}
	first := ids(page)
	_, frag := c.get("/servers/status")
	if got := ids(frag); strings.Join(got, " ") != strings.Join(first, " ") {
		t.Errorf("ids in the page %v, in the poll %v", first, got)
	}
	for _, name := range []string{"coop-1", "vs-2"} {
		row := frag.Find(`[data-testid="server-row"][data-name="` + name + `"]`)
		if row.AttrOr("id", "") != "server-"+name {
			t.Errorf("row %s has id %q", name, row.AttrOr("id", ""))
		}
		for _, tc := range []struct{ testid, label, id string }{
			{"action-start", "Start " + name, "start-" + name},
			{"action-stop", "Stop " + name, "stop-" + name},
			{"action-restart", "Restart " + name, "restart-" + name},
		} {
			b := row.Find(`[data-testid="` + tc.testid + `"]`)
			if b.AttrOr("aria-label", "") != tc.label || b.AttrOr("id", "") != tc.id {
				t.Errorf("%s: aria-label %q id %q, want %q %q", tc.testid, b.AttrOr("aria-label", ""), b.AttrOr("id", ""), tc.label, tc.id)
			}
		}
		cell := row.Find(`[data-testid="state-cell"]`)
		if cell.AttrOr("aria-live", "") != "polite" || !strings.HasPrefix(strings.TrimSpace(cell.Text()), name+":") {
			t.Errorf("state cell of %s: aria-live %q, text %q", name, cell.AttrOr("aria-live", ""), cell.Text())
		}
	}
}
