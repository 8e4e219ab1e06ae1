package app_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/left4me/left4me/app"
	"github.com/left4me/left4me/store"
)

func TestALoginWithoutAFreeHashingSlotIs503AndCountsNothing(t *testing.T) {
	gate := app.NewHashGate(1, time.Millisecond)
	e := newEnv(t, func(o *app.Options) { o.Hashing = gate })
	e.user("bob", store.RoleOperator)
	release := gate.HoldSlots()
	c := e.anon()
	c.get("/login")
	for i := range 12 { // more than the limit of failures: a busy answer is none
		name := "bob"
		if i%2 == 1 {
			name = "nobody" // a name nobody has waits for a slot like a real one
		}
		resp := c.post("/login", url.Values{"name": {name}, "password": {"pw-bob"}})
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "2" || c.cookies["left4me_session"] != "" {
			t.Fatalf("login %d as %s with every slot taken: %d, Retry-After %q", i+1, name, resp.StatusCode, resp.Header.Get("Retry-After"))
		}
	}
	code, doc := c.postDoc("/login", url.Values{"name": {"bob"}, "password": {"pw-bob"}})
	if code != 503 || !strings.Contains(testid(doc, "form-message").Text(), "busy") {
		t.Fatalf("busy login page: %d %q", code, testid(doc, "form-message").Text())
	}
	release()
	if resp := c.post("/login", url.Values{"name": {"bob"}, "password": {"pw-bob"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login with a free slot: %d", resp.StatusCode)
	}
}

func TestEveryPasswordHashWaitsForASlot(t *testing.T) {
	gate := app.NewHashGate(1, time.Millisecond)
	e := newEnv(t, func(o *app.Options) { o.Hashing = gate; o.SetupToken = "setup-token" })
	defer gate.HoldSlots()()
	busy := func(what string, resp *http.Response) {
		t.Helper()
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "2" {
			t.Fatalf("%s with every slot taken: %d, Retry-After %q", what, resp.StatusCode, resp.Header.Get("Retry-After"))
		}
	}
	pw := url.Values{"password": {"long enough"}, "password_confirm": {"long enough"}}
	with := func(kv ...string) url.Values {
		f := url.Values{}
		for k, v := range pw {
			f[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			f.Set(kv[i], kv[i+1])
		}
		return f
	}

	s := e.anon()
	s.get("/setup?token=setup-token")
	busy("the first admin", s.post("/setup", with("token", "setup-token", "name", "ann")))
	if n, _ := e.db.CountUsers(context.Background()); n != 0 {
		t.Fatalf("%d users after a busy setup", n)
	}

	admin := e.as(store.RoleAdmin)
	busy("a new user", admin.post("/users", with("name", "dora", "role", "operator")))
	busy("a password reset", admin.post("/users/"+itoa(e.user("bob", store.RoleOperator).ID)+"/password", with()))

	// left4me create-user goes through a Service of its own.
	svc := app.NewService(app.ServiceOptions{DB: e.db, Queue: e.queue, Hashing: gate})
	_, err := svc.CreateUser(context.Background(), app.UserInput{Name: "eve", Role: store.RoleOperator, Password: "long enough", PasswordConfirm: "long enough"})
	if !errors.Is(err, app.ErrBusy) {
		t.Fatalf("CreateUser with every slot taken: %v, want ErrBusy", err)
	}
}

func TestSuccessfulLoginsDoNotCountAgainstTheLimit(t *testing.T) {
	e := newEnv(t)
	e.user("bob", store.RoleOperator)
	for i := range 12 {
		c := e.anon()
		c.get("/login")
		if resp := c.post("/login", url.Values{"name": {"bob"}, "password": {"pw-bob"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("login %d within a minute: %d", i+1, resp.StatusCode)
		}
	}
	c := e.anon()
	c.get("/login")
	for i := range 10 {
		if resp := c.post("/login", url.Values{"name": {"bob"}, "password": {"wrong"}}); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("failure %d after 12 logins: %d", i+1, resp.StatusCode)
		}
	}
	if resp := c.post("/login", url.Values{"name": {"bob"}, "password": {"wrong"}}); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("the 11th failure: %d, want 429", resp.StatusCode)
	}
}

func TestANameUnderAttackIsSlowedDownNotLockedOut(t *testing.T) {
	e := newEnv(t, func(o *app.Options) { o.ProxyHeader = "X-Real-IP"; o.TrustedProxies = []string{"0.0.0.0"} })
	bobUser := e.user("bob", store.RoleOperator)
	e.user("mallory", store.RoleOperator)
	from := func(addr string) *client {
		c := e.anon()
		c.header.Set("X-Real-IP", addr)
		c.get("/login")
		return c
	}
	try := func(c *client, name, password string) (*http.Response, string) {
		t.Helper()
		resp := c.post("/login", url.Values{"name": {name}, "password": {password}})
		return resp, resp.Header.Get("Retry-After")
	}

	// bob logged in from his browser before; so did mallory from hers.
	owner := from("198.51.100.7")
	if resp, _ := try(owner, "bob", "pw-bob"); resp.StatusCode != http.StatusSeeOther || owner.cookies["left4me_device"] == "" {
		t.Fatalf("bob's first login: %d, device cookie %q", resp.StatusCode, owner.cookies["left4me_device"])
	}
	m := from("203.0.113.9")
	try(m, "mallory", "pw-mallory")
	mallorysDevice := m.cookies["left4me_device"]

	// Someone guesses bob's password from ten addresses.
	for i := range 10 {
		if resp, _ := try(from("192.0.2."+itoa(int64(i+1))), "bob", "guess"); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("guess %d: %d", i+1, resp.StatusCode)
		}
	}
	// The name is slowed down to a try every 6 s, not locked for a minute.
	code, doc := from("192.0.2.100").postDoc("/login", url.Values{"name": {"bob"}, "password": {"guess"}})
	if code != http.StatusTooManyRequests || !strings.Contains(testid(doc, "form-message").Text(), "Try again in 6 seconds") {
		t.Fatalf("the 11th guess: %d %q", code, testid(doc, "form-message").Text())
	}
	for round := range 3 {
		e.clock.Advance(6 * time.Second)
		if resp, _ := try(from("192.0.2.101"), "bob", "guess"); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("round %d: a guess 6 s later: %d", round, resp.StatusCode)
		}
		if resp, after := try(from("192.0.2.102"), "bob", "guess"); resp.StatusCode != http.StatusTooManyRequests || after != "6" {
			t.Fatalf("round %d: a second guess at once: %d, Retry-After %q", round, resp.StatusCode, after)
		}
	}

	// bob's browser gets in at once; mallory's device cookie is not bob's.
	b := from("198.51.100.7")
	b.cookies["left4me_device"] = owner.cookies["left4me_device"]
	if resp, _ := try(b, "bob", "pw-bob"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("bob's own browser during the attack: %d", resp.StatusCode)
	}
	x := from("192.0.2.103")
	x.cookies["left4me_device"] = mallorysDevice
	if resp, _ := try(x, "bob", "guess"); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("a guess with mallory's device cookie: %d, want 429 like any other", resp.StatusCode)
	}
	// A new browser of bob's gets in after the wait.
	e.clock.Advance(6 * time.Second)
	if resp, _ := try(from("198.51.100.8"), "bob", "pw-bob"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("bob in a new browser after 6 s: %d", resp.StatusCode)
	}

	// A new password forgets the devices that knew the old one.
	admin := e.as(store.RoleAdmin)
	if resp := admin.post("/users/"+itoa(bobUser.ID)+"/password", url.Values{"password": {"pw-bob-2"}, "password_confirm": {"pw-bob-2"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("reset: %d", resp.StatusCode)
	}
	try(from("192.0.2.104"), "bob", "guess") // takes the slot
	b = from("198.51.100.7")
	b.cookies["left4me_device"] = owner.cookies["left4me_device"]
	if resp, _ := try(b, "bob", "pw-bob-2"); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("a device cookie from before the reset: %d, want 429", resp.StatusCode)
	}
}
