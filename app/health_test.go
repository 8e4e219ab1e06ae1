package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/left4me/left4me/app"
	"github.com/left4me/left4me/jobs"
	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/store/storetest"
)

// health is the JSON of GET /healthz.
type health struct {
	OK             bool       `json:"ok"`
	Database       string     `json:"database"`
	Host           string     `json:"host"`
	WorkersRunning bool       `json:"workers_running"`
	PollerLastTick *time.Time `json:"poller_last_tick"`
	HostCheckedAt  *time.Time `json:"host_checked_at"`
	Reason         string     `json:"reason"`
	Problems       []struct {
		Part          string     `json:"part"`
		Reason        string     `json:"reason"`
		Since         *time.Time `json:"since"`
		LatestAttempt *time.Time `json:"latest_attempt"`
	} `json:"problems"`
}

// healthz asks GET /healthz and returns its status, its report and its
// raw body.
func (e *env) healthz() (int, health, string) {
	e.t.Helper()
	resp := e.anon().do(httptest.NewRequest("GET", "/healthz", nil))
	defer resp.Body.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		e.t.Fatal(err)
	}
	var h health
	if err := json.Unmarshal(buf.Bytes(), &h); err != nil {
		e.t.Fatalf("GET /healthz: %v in %q", err, buf.String())
	}
	return resp.StatusCode, h, buf.String()
}

// withRunner gives the panel a job runner on its queue and backend, with
// a poller the test ticks itself (the runner is never started), and
// returns it through r.
func withRunner(r **jobs.Runner) func(*app.Options) {
	return func(o *app.Options) {
		*r = jobs.NewRunner(jobs.RunnerOpts{Queue: o.Queue, Backend: o.Backend, Workers: 1,
			PollerInterval: time.Hour, Clock: o.Now, Logger: o.Logger})
		o.Health = (*r).Health
	}
}

// logBuffer is a log that tests read while the app writes it.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// count returns how many lines contain s.
func (b *logBuffer) count(s string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Count(b.buf.String(), s)
}

// sudoRefused is what the sudo backend's Show says without the sudoers
// rule.
var sudoRefused = errors.New("show coop-1 failed (exit 1): sudo: a password is required")

func TestHealthzAndTheAdminsBannerSayWhenSystemdCannotBeReached(t *testing.T) {
	var r *jobs.Runner
	e := newEnv(t, withRunner(&r))
	storetest.Server(t, e.db, "coop-1", 27015)
	admin, operator := e.as(store.RoleAdmin), e.as(store.RoleOperator)
	ctx := context.Background()

	code, h, _ := e.healthz()
	if code != 200 || !h.OK || h.Host != "unknown" || h.HostCheckedAt != nil || len(h.Problems) != 0 {
		t.Fatalf("before any tick: %d %+v, want ok with the host unknown", code, h)
	}
	if err := r.Poller().Tick(ctx); err != nil {
		t.Fatal(err)
	}
	code, h, _ = e.healthz()
	if code != 200 || !h.OK || h.Host != "ok" || h.HostCheckedAt == nil || !h.HostCheckedAt.Equal(e.clock.Now()) || h.Reason != "" {
		t.Fatalf("after a tick: %d %+v, want ok, the host asked now", code, h)
	}

	e.backend.FailShow(sudoRefused)
	since := e.clock.Now()
	if err := r.Poller().Tick(ctx); err == nil {
		t.Fatal("a tick whose Show was refused returned no error")
	}
	e.clock.Advance(3 * time.Minute)
	if err := r.Poller().Tick(ctx); err == nil {
		t.Fatal("a tick whose Show was refused returned no error")
	}
	code, h, body := e.healthz()
	if code != 503 || h.OK || h.Host != "unreachable" || h.Database != "ok" || len(h.Problems) != 1 {
		t.Fatalf("with Show refused: %d %s, want 503, host unreachable", code, body)
	}
	p := h.Problems[0]
	if p.Part != "host" || !strings.Contains(p.Reason, "systemd") || h.Reason != p.Reason ||
		p.Since == nil || !p.Since.Equal(since) || p.LatestAttempt == nil || !p.LatestAttempt.Equal(e.clock.Now()) {
		t.Fatalf("problem %+v (reason %q); want the host, since the first refusal, latest now", p, h.Reason)
	}
	if strings.Contains(body, "sudo") || strings.Contains(body, "coop-1") {
		t.Fatalf("the public answer carries the backend's words: %s", body)
	}

	for _, path := range []string{"/", "/account", "/servers/coop-1"} {
		_, doc := admin.get(path)
		b := testid(doc, "problem-host")
		if b.Length() != 1 {
			t.Fatalf("GET %s as admin: %d host banners, want 1", path, b.Length())
		}
		if got := b.Find(`[data-testid="problem-detail"]`).Text(); got != sudoRefused.Error() {
			t.Errorf("GET %s: the banner's latest error is %q, want the backend's", path, got)
		}
		if got, _ := b.Find(`[data-testid="problem-since"]`).Attr("datetime"); got != since.Format(time.RFC3339) {
			t.Errorf("GET %s: the banner says since %q, want %s", path, got, since.Format(time.RFC3339))
		}
		if !strings.Contains(b.Find(`[data-testid="problem-summary"]`).Text(), "sudo -l -U left4me") {
			t.Errorf("GET %s: the banner does not say what to check: %q", path, b.Text())
		}
		if b.Find("[style], script").Length() != 0 {
			t.Errorf("GET %s: inline style or script in the banner", path)
		}
	}
	if _, doc := operator.get("/"); testid(doc, "problem-host").Length() != 0 {
		t.Error("an operator sees the admins' banner")
	}

	e.backend.FailShow(nil)
	e.clock.Advance(time.Minute)
	if err := r.Poller().Tick(ctx); err != nil {
		t.Fatal(err)
	}
	if code, h, body := e.healthz(); code != 200 || !h.OK || h.Host != "ok" || len(h.Problems) != 0 {
		t.Fatalf("once Show works again: %d %s", code, body)
	}
	if _, doc := admin.get("/"); doc.Find(`[data-testid^="problem-"]`).Length() != 0 {
		t.Error("the banner stays after systemd answers again")
	}
}

func TestHealthzAndTheAdminsBannerSayWhenStatesCannotBeWritten(t *testing.T) {
	var r *jobs.Runner
	e := newEnvOn(t, store.Options{BusyTimeout: 20 * time.Millisecond}, withRunner(&r))
	storetest.Server(t, e.db, "coop-1", 27015)
	admin := e.as(store.RoleAdmin)
	ctx := context.Background()

	release := storetest.HoldWriteLock(t, e.db)
	if err := r.Poller().Tick(ctx); err == nil {
		t.Fatal("a tick whose write was refused returned no error")
	}
	code, h, body := e.healthz()
	if code != 503 || h.OK || h.Database != "unwritable" || h.Host != "ok" || len(h.Problems) != 1 ||
		h.Problems[0].Part != "database" || !strings.Contains(h.Reason, "cannot write its database") {
		t.Fatalf("with the write lock held elsewhere: %d %s", code, body)
	}
	if strings.Contains(body, "locked") {
		t.Fatalf("the public answer carries the driver's words: %s", body)
	}
	_, doc := admin.get("/")
	b := testid(doc, "problem-database")
	if b.Length() != 1 || !strings.Contains(b.Find(`[data-testid="problem-detail"]`).Text(), "database is locked") ||
		!strings.Contains(b.Text(), e.db.Path()) {
		t.Fatalf("admin banner: %d, %q; want the database's path and the driver's error", b.Length(), b.Text())
	}

	release()
	if err := r.Poller().Tick(ctx); err != nil {
		t.Fatal(err)
	}
	if code, h, body := e.healthz(); code != 200 || !h.OK || h.Database != "ok" {
		t.Fatalf("once the write works again: %d %s", code, body)
	}
}

func TestAReadWithAnIdleTokenWorksWhenTheDatabaseCannotBeWritten(t *testing.T) {
	logs := &logBuffer{}
	e := newEnvOn(t, store.Options{BusyTimeout: 20 * time.Millisecond}, func(o *app.Options) {
		o.Logger = slog.New(slog.NewTextHandler(logs, nil))
	})
	storetest.Server(t, e.db, "coop-1", 27015)
	bot, _ := e.apiAs("bot", store.RoleOperator)
	lastUsed := func() time.Time {
		tok, err := e.db.GetAPITokenByHash(context.Background(), store.HashAPIToken(bot.token))
		if err != nil {
			t.Fatal(err)
		}
		return tok.LastUsedAt.Time
	}
	bot.callJSON("GET", "/api/v1/servers", nil, 200, nil)
	firstUse := lastUsed()

	const failed, again = "bookkeeping write failed", "bookkeeping writes work again"
	release := storetest.HoldWriteLock(t, e.db)
	e.clock.Advance(2 * time.Minute) // the token is idle: its use is due to be written
	failedAt := e.clock.Now()
	var s struct {
		Name string `json:"name"`
	}
	bot.callJSON("GET", "/api/v1/servers/coop-1", nil, 200, &s)
	if s.Name != "coop-1" {
		t.Fatalf("GET /api/v1/servers/coop-1 answered %+v", s)
	}
	code, h, body := e.healthz()
	if code != 503 || h.OK || h.Database != "unwritable" || len(h.Problems) != 1 ||
		!strings.Contains(h.Problems[0].Reason, "API token") || !h.Problems[0].Since.Equal(failedAt) {
		t.Fatalf("after a failed record of the token's use: %d %s", code, body)
	}
	if n := logs.count(failed); n != 1 {
		t.Fatalf("%d log lines say %q, want 1", n, failed)
	}

	// Tried again once a minute while it fails, logged no more.
	e.clock.Advance(10 * time.Second)
	bot.callJSON("GET", "/api/v1/servers", nil, 200, nil)
	if _, h, _ := e.healthz(); !h.Problems[0].LatestAttempt.Equal(failedAt) {
		t.Fatalf("tried again after 10 s (latest attempt %v), want a rest of a minute", h.Problems[0].LatestAttempt)
	}
	e.clock.Advance(time.Minute)
	bot.callJSON("GET", "/api/v1/servers", nil, 200, nil)
	if _, h, _ := e.healthz(); !h.Problems[0].LatestAttempt.Equal(e.clock.Now()) || !h.Problems[0].Since.Equal(failedAt) {
		t.Fatalf("after a minute: %+v, want tried again now, failing since %v", h.Problems[0], failedAt)
	}
	if n := logs.count(failed); n != 1 {
		t.Fatalf("%d log lines say %q after more failures, want still 1", n, failed)
	}
	if !lastUsed().Equal(firstUse) {
		t.Fatal("the token's use was written while the lock was held")
	}

	release()
	e.clock.Advance(time.Minute)
	bot.callJSON("GET", "/api/v1/servers", nil, 200, nil)
	if code, h, body := e.healthz(); code != 200 || !h.OK {
		t.Fatalf("once the write works again: %d %s", code, body)
	}
	if want := store.NewTime(e.clock.Now()).Time; !lastUsed().Equal(want) {
		t.Fatalf("last used %v, want %v", lastUsed(), want)
	}
	if n := logs.count(again); n != 1 {
		t.Fatalf("%d log lines say %q, want 1", n, again)
	}
}
