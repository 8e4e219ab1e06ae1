package app_test

import (
	"context"
	"net/url"
	"testing"

	"github.com/left4me/left4me/store"
)

func TestAnAdminManagesUsers(t *testing.T) {
	e := newEnv(t)
	admin := e.user("root", store.RoleAdmin)
	c := e.sessionFor(admin)

	code, doc := c.postDoc("/users", url.Values{"name": {"bob"}, "role": {"operator"}, "password": {"short"}, "password_confirm": {"short"}})
	if code != 422 || testid(doc, "error-password").Length() != 1 {
		t.Fatalf("short password: %d", code)
	}
	if v, _ := doc.Find(`[data-testid="user-form"] input[name="name"]`).Attr("value"); v != "bob" {
		t.Errorf("the form forgot the name: %q", v)
	}
	if v, _ := doc.Find(`[data-testid="user-form"] input[name="password"]`).Attr("value"); v != "" {
		t.Error("the form shows the password again")
	}
	code, doc = c.postDoc("/users", url.Values{"name": {"root"}, "role": {"operator"}, "password": {"long enough"}, "password_confirm": {"long enough"}})
	if code != 422 || testid(doc, "error-name").Length() != 1 {
		t.Fatalf("taken name: %d", code)
	}
	if resp := c.post("/users", url.Values{"name": {"bob"}, "role": {"operator"}, "password": {"pw-bob-long"}, "password_confirm": {"pw-bob-long"}}); resp.StatusCode != 303 {
		t.Fatalf("create: %d", resp.StatusCode)
	}
	bob, err := e.db.GetUserByName(context.Background(), "bob")
	if err != nil || bob.Role != store.RoleOperator {
		t.Fatalf("bob = %+v, %v", bob, err)
	}

	// bob logs in; a password reset ends his session.
	b := e.anon()
	b.get("/login")
	if resp := b.post("/login", url.Values{"name": {"bob"}, "password": {"pw-bob-long"}}); resp.StatusCode != 303 {
		t.Fatalf("bob's login: %d", resp.StatusCode)
	}
	if code, _ := b.get("/"); code != 200 {
		t.Fatalf("bob's dashboard: %d", code)
	}
	if resp := c.post("/users/"+itoa(bob.ID)+"/password", url.Values{"password": {"new password"}, "password_confirm": {"new password"}}); resp.StatusCode != 303 {
		t.Fatalf("reset: %d", resp.StatusCode)
	}
	if code, _ := b.get("/"); code != 303 {
		t.Fatalf("bob's old session after a reset: %d", code)
	}

	// Disabling ends sessions too; enabling lets him back in.
	b = e.anon()
	b.get("/login")
	b.post("/login", url.Values{"name": {"bob"}, "password": {"new password"}})
	if resp := c.post("/users/"+itoa(bob.ID)+"/disable", nil); resp.StatusCode != 303 {
		t.Fatalf("disable: %d", resp.StatusCode)
	}
	if code, _ := b.get("/"); code != 303 {
		t.Fatalf("a disabled user's session: %d", code)
	}
	c.post("/users/"+itoa(bob.ID)+"/enable", nil)
	_, doc = c.get("/users")
	if r := doc.Find(`[data-testid="user-row"][data-name="bob"]`); r.AttrOr("data-disabled", "") != "false" {
		t.Fatal("bob is not enabled again")
	}

	// Promote bob.
	if resp := c.post("/users/"+itoa(bob.ID)+"/role", url.Values{"role": {"admin"}}); resp.StatusCode != 303 {
		t.Fatalf("role: %d", resp.StatusCode)
	}
	if u, _ := e.db.GetUser(context.Background(), bob.ID); u.Role != store.RoleAdmin {
		t.Fatalf("bob's role %s", u.Role)
	}
}

func TestTheLastAdminCannotBeRemoved(t *testing.T) {
	e := newEnv(t)
	admin := e.user("root", store.RoleAdmin)
	e.user("bob", store.RoleOperator)
	c := e.sessionFor(admin)
	for _, tc := range []struct {
		name string
		path string
		form url.Values
	}{
		{"demoting themselves", "/users/" + itoa(admin.ID) + "/role", url.Values{"role": {"operator"}}},
		{"disabling themselves", "/users/" + itoa(admin.ID) + "/disable", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, doc := c.postDoc(tc.path, tc.form)
			if code != 409 || testid(doc, "user-error").Length() != 1 {
				t.Fatalf("status %d, %d row errors", code, testid(doc, "user-error").Length())
			}
			if u, _ := e.db.GetUser(context.Background(), admin.ID); u.Role != store.RoleAdmin || u.Disabled {
				t.Fatalf("the last admin changed: %+v", u)
			}
		})
	}
}
