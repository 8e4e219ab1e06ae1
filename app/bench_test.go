package app_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/left4me/left4me/hostbackend"
	"github.com/left4me/left4me/jobs"
	"github.com/left4me/left4me/store"
)

// BenchmarkStatusHandler100 is one GET /servers/status of a logged-in
// operator through the whole Fiber app (security headers, session and
// user lookup, CSRF, auth, the status rows, rendering) for 100 servers
// with history and some queued jobs, without a network connection, each
// with what its game said (the fake's simulated games, one sweep; every
// tenth is silent).
// "cached" is the steady state of many dashboards polling; "reload" ages
// the snapshot before every request, so each one pays the four queries.
func BenchmarkStatusHandler100(b *testing.B) {
	e, sw := newEnvLive(b)
	ctx := context.Background()
	for i := range 100 {
		s := e.runGame(b, fmt.Sprintf("coop-%d", i+1), 20000+i, "hostname \"Game night\"\n")
		if i%10 == 5 {
			e.backend.SilenceGame(s.Name, true)
		}
		_, err := e.db.Writer().ExecContext(ctx, `INSERT INTO server_history (server_id, at, old_state, new_state, reason)
			VALUES (?0, ?1, 'unknown', 'stopped', 'first poll'), (?0, ?1 + 1000, 'stopped', 'running', 'after job')`,
			s.ID, e.clock.Now().Add(-time.Hour).UnixMilli())
		if err != nil {
			b.Fatal(err)
		}
		// Running with a recorded spec: each row's spec is hashed to
		// compare (Server.RestartPending), every tenth one differs.
		applied := store.SpecFingerprint(hostbackend.InstanceSpec{Name: s.Name})
		if i%10 == 3 {
			applied = "an older spec"
		}
		if _, err := e.db.Writer().ExecContext(ctx, `UPDATE servers SET actual_state = 'running', applied_spec = ? WHERE id = ?`, applied, s.ID); err != nil {
			b.Fatal(err)
		}
		if i%10 == 0 {
			if _, err := e.queue.Enqueue(ctx, jobs.EnqueueParams{ServerID: s.ID, ServerName: s.Name, Operation: store.OpStart}); err != nil {
				b.Fatal(err)
			}
		}
	}
	e.sweep(b, sw)
	e.sweep(b, sw) // the silent ones are "not answering" after two
	c := e.as(store.RoleOperator)
	handler := e.app.Handler()
	var rc fasthttp.RequestCtx
	request := func() {
		rc.Request.Reset()
		rc.Response.Reset()
		rc.ResetUserValues() // as fasthttp does between requests
		rc.Request.Header.SetMethod("GET")
		rc.Request.SetRequestURI("/servers/status")
		rc.Request.Header.Set("HX-Request", "true")
		for k, v := range c.cookies {
			rc.Request.Header.SetCookie(k, v)
		}
		handler(&rc)
		if rc.Response.StatusCode() != 200 {
			b.Fatalf("GET /servers/status: %d %s", rc.Response.StatusCode(), rc.Response.Body())
		}
	}
	request()
	b.Logf("%d bytes a response", len(rc.Response.Body()))

	b.Run("cached", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			request()
		}
	})
	b.Run("reload", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			e.clock.Advance(time.Second)
			request()
		}
	})
}
