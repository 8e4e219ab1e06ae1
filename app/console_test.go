package app_test

import (
	"context"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/left4me/left4me/console"
	"github.com/left4me/left4me/hostbackend"
	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/store/storetest"
)

// runningGame creates coop-1, starts it through a job and lets players
// join its simulated game (the fake's clock moves on a minute at a time),
// and returns the server as stored. Sessions made afterwards are fresh.
func (e *env) runningGame(t *testing.T) *store.Server {
	t.Helper()
	ctx := context.Background()
	storetest.Server(t, e.db, "coop-1", 27015)
	e.startRunner(t)
	starter, _ := e.apiAs("starter", store.RoleOperator)
	var j apiJob
	starter.callJSON("POST", "/api/v1/servers/coop-1/start", nil, 202, &j)
	if done := starter.follow(t, j.ID); done.State != "succeeded" {
		t.Fatalf("start job: %+v", done)
	}
	s, err := e.db.GetServerByName(ctx, "coop-1")
	if err != nil || s.ActualState != hostbackend.StateRunning {
		t.Fatalf("after the start: %+v, %v", s, err)
	}
	for range 30 {
		out, err := e.backend.RCON(ctx, hostbackend.LiveTarget{Name: s.Name, Port: s.Port}, s.RCONPassword, "status")
		if err != nil {
			t.Fatal(err)
		}
		if strings.Count(out, "STEAM_") >= 2 {
			return s
		}
		e.clock.Advance(time.Minute)
	}
	t.Fatal("no players joined the simulated game")
	return nil
}

func TestTheConsoleRunsACommandAndListsEveryonesRecentCommands(t *testing.T) {
	e := newEnv(t)
	e.runningGame(t)
	ann := e.sessionFor(e.user("ann", store.RoleOperator))

	code, doc := ann.get("/servers/coop-1")
	if code != 200 || testid(doc, "server-console-link").AttrOr("href", "") != "/servers/coop-1/console" {
		t.Fatalf("server page: %d, console link %q", code, testid(doc, "server-console-link").AttrOr("href", ""))
	}
	code, doc = ann.get("/servers/coop-1/console")
	if code != 200 || testid(doc, "console-form").Length() != 1 || testid(doc, "console-not-running").Length() != 0 {
		t.Fatalf("console page: %d", code)
	}
	if testid(doc, "console-form").Find(`input[name="_csrf"]`).Length() != 1 {
		t.Fatal("the console form has no CSRF field")
	}

	code, doc = ann.postDoc("/servers/coop-1/console", url.Values{"command": {"changelevel c2m1_highway"}})
	if code != 200 || testid(doc, "console-answer-empty").Length() != 1 || testid(doc, "console-error").Length() != 0 {
		t.Fatalf("changelevel: %d %q", code, testid(doc, "console-error").Text())
	}
	code, doc = ann.postDoc("/servers/coop-1/console", url.Values{"command": {"status"}})
	answer := testid(doc, "console-answer").Text()
	if code != 200 || !strings.Contains(answer, "map     : c2m1_highway") || !strings.Contains(answer, "# userid name uniqueid") {
		t.Fatalf("status: %d %q", code, answer)
	}

	// Another operator sees both commands, with who ran them.
	bob := e.sessionFor(e.user("bob", store.RoleOperator))
	_, doc = bob.get("/servers/coop-1/console")
	rows := testid(doc, "console-recent-row")
	if rows.Length() != 2 || testid(doc, "console-recent-command").First().Text() != "status" ||
		testid(doc, "console-recent-who").First().Text() != "ann" {
		t.Fatalf("recent: %d rows, first %q by %q", rows.Length(), testid(doc, "console-recent-command").First().Text(), testid(doc, "console-recent-who").First().Text())
	}
	// The server's history shows them beside its state changes.
	_, doc = bob.get("/servers/coop-1")
	hist := testid(doc, "history-console-row")
	if hist.Length() != 2 || !strings.Contains(hist.First().Text(), "ann ran status") || testid(doc, "history-row").Length() == 0 {
		t.Fatalf("history: %d console rows (%q), %d state rows", hist.Length(), hist.First().Text(), testid(doc, "history-row").Length())
	}
}

func TestTheConsoleWorksWithHtmx(t *testing.T) {
	e := newEnv(t)
	e.runningGame(t)
	c := e.as(store.RoleOperator)
	c.get("/servers/coop-1/console")
	form := url.Values{"command": {"say hi"}, "_csrf": {c.csrf}}
	req := httptest.NewRequest("POST", "/servers/coop-1/console", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("HX-Request", "true")
	req.Header.Set("HX-Boosted", "true")
	resp := c.do(req)
	if resp.StatusCode != 200 || resp.Header.Get("HX-Push-Url") != "false" {
		t.Fatalf("boosted post: %d, HX-Push-Url %q", resp.StatusCode, resp.Header.Get("HX-Push-Url"))
	}
}

func TestTheConsoleRefusesBadCommandsAndAStoppedServerAtOnce(t *testing.T) {
	e := newEnv(t)
	storetest.Server(t, e.db, "coop-1", 27015)
	c := e.as(store.RoleOperator)
	code, doc := c.get("/servers/coop-1/console")
	if code != 200 || testid(doc, "console-not-running").Length() != 1 {
		t.Fatalf("console of a server that does not run: %d, no notice", code)
	}
	tests := []struct {
		name     string
		command  string
		wantCode int
		want     string
	}{
		{"a stopped server", "status", 409, "coop-1 is not running"},
		{"two lines", "status\nquit", 422, "one line"},
		{"a carriage return", "status\rquit", 422, "one line"},
		{"a NUL", "say \x00", 422, "one line"},
		{"too long", "say " + strings.Repeat("x", console.MaxCommandLen), 422, "at most 512 bytes"},
		{"nothing", "", 422, "Type a command"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, doc := c.postDoc("/servers/coop-1/console", url.Values{"command": {tt.command}})
			if msg := testid(doc, "console-error").Text(); code != tt.wantCode || !strings.Contains(msg, tt.want) {
				t.Fatalf("%d %q, want %d saying %q", code, msg, tt.wantCode, tt.want)
			}
		})
	}
	s, _ := e.db.GetServerByName(context.Background(), "coop-1")
	if cs, _ := e.db.ListRCONCommands(context.Background(), s.ID, 0); len(cs) != 0 {
		t.Fatalf("refused commands were recorded: %+v", cs)
	}
}

func TestAHungGameIsAnErrorNotAWait(t *testing.T) {
	e := newEnv(t)
	e.runningGame(t)
	e.backend.SilenceGame("coop-1", true)
	c := e.as(store.RoleOperator)
	code, doc := c.postDoc("/servers/coop-1/console", url.Values{"command": {"status"}})
	if code != 200 || testid(doc, "console-error").Text() == "" {
		t.Fatalf("%d %q", code, testid(doc, "console-error").Text())
	}
	if testid(doc, "console-recent-row").Length() != 1 {
		t.Fatal("the failed command was not recorded")
	}
	_, doc = c.get("/servers/coop-1/players")
	if testid(doc, "players-error").Length() != 1 {
		t.Fatal("the player list does not say the game did not answer")
	}
}
