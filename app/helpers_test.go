package app_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/addons"
	"github.com/left4me/left4me/app"
	"github.com/left4me/left4me/hostbackend/fake"
	"github.com/left4me/left4me/jobs"
	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/store/storetest"
)

// clock is a settable clock for the app, the store and the queue.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// env is one panel on a fresh database with the fake backend; no job
// runner unless a test starts one.
type env struct {
	t       testing.TB
	db      *store.DB
	queue   *jobs.Queue
	backend *fake.Backend
	clock   *clock
	app     *fiber.App
	opts    app.Options
	root    string // the state root of the add-on sets
}

func newEnv(t testing.TB, tweak ...func(*app.Options)) *env {
	t.Helper()
	return newEnvOn(t, store.Options{}, tweak...)
}

// newEnvOn is newEnv on a database opened with so (its Now is the env's
// clock). The fake host has the game installed.
func newEnvOn(t testing.TB, so store.Options, tweak ...func(*app.Options)) *env {
	t.Helper()
	return newEnvFake(t, so, fake.Options{GameInstalled: true}, tweak...)
}

// newEnvFake is newEnvOn on a fake host made with fo (its Now is the
// env's clock): newEnvFake(t, store.Options{}, fake.Options{}) has no game.
func newEnvFake(t testing.TB, so store.Options, fo fake.Options, tweak ...func(*app.Options)) *env {
	t.Helper()
	clk := &clock{t: time.Now().UTC()}
	so.Now = clk.Now
	db := storetest.OpenWith(t, so)
	fo.Now = clk.Now
	e := &env{t: t, db: db, clock: clk, backend: fake.New(fo)}
	e.queue = jobs.NewQueue(jobs.QueueOpts{DB: db, Clock: clk.Now})
	e.root = t.TempDir()
	sets, err := addons.New(db, addons.Options{Root: e.root})
	if err != nil {
		t.Fatal(err)
	}
	e.opts = app.Options{
		DB: db, Queue: e.queue, Backend: e.backend, Now: clk.Now, Addons: sets,
		PortRangeStart: 27015, PortRangeEnd: 27020,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	for _, f := range tweak {
		f(&e.opts)
	}
	e.app = app.New(e.opts)
	return e
}

// user creates a user whose password is "pw-" + name.
func (e *env) user(name string, role store.Role) *store.User {
	e.t.Helper()
	hash, err := app.HashPassword("pw-" + name)
	if err != nil {
		e.t.Fatal(err)
	}
	u, err := e.db.CreateUser(context.Background(), name, hash, role)
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

// client is a browser: it keeps cookies and the page's CSRF token.
type client struct {
	e       *env
	cookies map[string]string
	csrf    string
	header  http.Header
}

func (e *env) anon() *client {
	return &client{e: e, cookies: map[string]string{}, header: http.Header{}}
}

// as returns a browser logged in as a new user of role, through a session
// written straight to the store (no password hashing: fast for tables).
func (e *env) as(role store.Role) *client {
	e.t.Helper()
	if role == "" {
		return e.anon()
	}
	u, err := e.db.CreateUser(context.Background(), "u-"+string(role), "not-a-hash", role)
	if err != nil {
		e.t.Fatal(err)
	}
	return e.sessionFor(u)
}

func (e *env) sessionFor(u *store.User) *client {
	e.t.Helper()
	tok := "token-of-" + u.Name + strings.Repeat("x", 20)
	sum := sha256.Sum256([]byte(tok))
	s := &store.Session{ID: hex.EncodeToString(sum[:]), UserID: u.ID, CSRFToken: "csrf-" + u.Name,
		ExpiresAt: store.NewTime(e.clock.Now().Add(time.Hour))}
	if err := e.db.CreateSession(context.Background(), s); err != nil {
		e.t.Fatal(err)
	}
	c := e.anon()
	c.cookies["left4me_session"] = tok
	c.csrf = s.CSRFToken
	return c
}

// login logs in through the login form.
func (e *env) login(name string) *client {
	e.t.Helper()
	c := e.anon()
	c.get("/login")
	resp := c.post("/login", url.Values{"name": {name}, "password": {"pw-" + name}})
	if resp.StatusCode != http.StatusSeeOther {
		e.t.Fatalf("login as %s: %d", name, resp.StatusCode)
	}
	c.get("/") // picks up the session's CSRF token
	return c
}

func (c *client) do(req *http.Request) *http.Response {
	c.e.t.Helper()
	for k, v := range c.cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	for k, vs := range c.header {
		req.Header[k] = vs
	}
	resp, err := c.e.app.Test(req, -1)
	if err != nil {
		c.e.t.Fatal(err)
	}
	for _, ck := range resp.Cookies() {
		if ck.MaxAge < 0 || ck.Value == "" {
			delete(c.cookies, ck.Name)
		} else {
			c.cookies[ck.Name] = ck.Value
		}
	}
	return resp
}

// get fetches path and parses the answer; it remembers the page's CSRF
// token.
func (c *client) get(path string) (int, *goquery.Document) {
	c.e.t.Helper()
	resp := c.do(httptest.NewRequest("GET", path, nil))
	defer resp.Body.Close()
	doc, err := goquery.NewDocumentFromReader(resp.Body)
	if err != nil {
		c.e.t.Fatal(err)
	}
	if tok, ok := doc.Find(`meta[name="csrf-token"]`).Attr("content"); ok && tok != "" {
		c.csrf = tok
	}
	return resp.StatusCode, doc
}

// post submits a form with the CSRF token in its _csrf field.
func (c *client) post(path string, form url.Values) *http.Response {
	c.e.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["_csrf"]; !ok {
		form.Set("_csrf", c.csrf)
	}
	req := httptest.NewRequest("POST", path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

// postDoc is post, parsed.
func (c *client) postDoc(path string, form url.Values) (int, *goquery.Document) {
	c.e.t.Helper()
	resp := c.post(path, form)
	defer resp.Body.Close()
	doc, err := goquery.NewDocumentFromReader(resp.Body)
	if err != nil {
		c.e.t.Fatal(err)
	}
	return resp.StatusCode, doc
}

func testid(doc *goquery.Document, id string) *goquery.Selection {
	return doc.Find(`[data-testid="` + id + `"]`)
}

// waitFor polls cond until it holds or 10 s pass.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// addonSet makes the add-on set name holding files (path: content).
func (e *env) addonSet(name string, files map[string]string) {
	e.t.Helper()
	ctx := context.Background()
	if _, err := e.opts.Addons.CreateSet(ctx, name); err != nil {
		e.t.Fatal(err)
	}
	for p, content := range files {
		if _, err := e.opts.Addons.PutFile(ctx, name, p, strings.NewReader(content)); err != nil {
			e.t.Fatal(err)
		}
	}
}
