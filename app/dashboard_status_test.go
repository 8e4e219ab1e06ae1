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
