package app_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/left4me/left4me/app"
	"github.com/left4me/left4me/store"
)

// logInWith logs in through the form with password and reports the
// status of the answer (303 when it worked).
func logInWith(e *env, name, password string) (*client, int) {
	c := e.anon()
	c.get("/login")
	resp := c.post("/login", url.Values{"name": {name}, "password": {password}})
	c.get("/")
	return c, resp.StatusCode
}

func TestAnOperatorChangesTheirOwnPassword(t *testing.T) {
	e := newEnv(t)
	barnaby := e.user("barnaby", store.RoleOperator)
	here := e.login("barnaby")
	elsewhere := e.login("barnaby")
	script := e.api(e.tokenFor(barnaby))

	_, doc := here.get("/account")
	if testid(doc, "password-form").Length() != 1 {
		t.Fatal("the account page has no password form")
	}
	for _, tt := range []struct {
		name      string
		form      url.Values
		wantField string
		wantMsg   string
	}{
		{"a wrong current password", url.Values{"current_password": {"guess"}, "password": {"new password"}, "password_confirm": {"new password"}},
			"error-current_password", "That is not your current password: nothing was changed."},
		{"two new passwords that differ", url.Values{"current_password": {"pw-barnaby"}, "password": {"new password"}, "password_confirm": {"new passw0rd"}},
			"error-password", "The two passwords differ."},
		{"a short one", url.Values{"current_password": {"pw-barnaby"}, "password": {"short"}, "password_confirm": {"short"}},
			"error-password", "Use at least 8 characters."},
		{"the current one again", url.Values{"current_password": {"pw-barnaby"}, "password": {"pw-barnaby"}, "password_confirm": {"pw-barnaby"}},
			"error-password", "That is your current password: choose a new one."},
	} {
		code, doc := here.postDoc("/account/password", tt.form)
		if got := testid(doc, tt.wantField).Text(); code != 422 || got != tt.wantMsg {
			t.Errorf("%s: %d %q, want 422 %q", tt.name, code, got, tt.wantMsg)
		}
		if v := doc.Find(`[data-testid="password-form"] input[value]:not([type="hidden"])`).Length(); v != 0 {
			t.Errorf("%s: the form shows a password again", tt.name)
		}
	}
	// Nothing changed: the old password, the other browser and the token work.
	if u, _ := e.db.GetUser(context.Background(), barnaby.ID); !app.CheckPassword(u.PasswordHash, "pw-barnaby") {
		t.Fatal("a refused change changed the password")
	}
	if code, _ := elsewhere.get("/account"); code != 200 {
		t.Fatalf("the other browser after a refused change: %d", code)
	}
	script.callJSON("GET", "/api/v1/servers", nil, 200, nil)

	resp := here.post("/account/password", url.Values{"current_password": {"pw-barnaby"}, "password": {"new password"}, "password_confirm": {"new password"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/account" {
		t.Fatalf("the change: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	code, doc := here.get("/account")
	want := "Your password is changed. You stay logged in here; 1 other session ended and 1 API token revoked. Log in with the new password everywhere else."
	if got := testid(doc, "flash").Text(); code != 200 || got != want {
		t.Fatalf("this browser after the change: %d %q, want 200 %q", code, got, want)
	}
	if code, _ := elsewhere.get("/account"); code != 303 {
		t.Errorf("the other browser after the change: %d, want the login page", code)
	}
	script.callJSON("GET", "/api/v1/servers", nil, 401, nil)
	if _, code := logInWith(e, "barnaby", "pw-barnaby"); code == http.StatusSeeOther {
		t.Error("the old password still logs in")
	}
	if _, code := logInWith(e, "barnaby", "new password"); code != http.StatusSeeOther {
		t.Errorf("the new password: %d, want a login", code)
	}
}

// TestAnAdminResettingTheirOwnPasswordStaysLoggedIn: on the users page,
// as on the account page, their own session goes on and the page says
// their others ended.
func TestAnAdminResettingTheirOwnPasswordStaysLoggedIn(t *testing.T) {
	e := newEnv(t)
	root := e.user("root", store.RoleAdmin)
	here := e.login("root")
	elsewhere := e.login("root")
	resp := here.post("/users/"+itoa(root.ID)+"/password", url.Values{"password": {"new password"}, "password_confirm": {"new password"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("the reset: %d", resp.StatusCode)
	}
	code, doc := here.get(resp.Header.Get("Location"))
	want := "Your password is changed. You stay logged in here; 1 other session ended and 0 API tokens revoked. Log in with the new password everywhere else."
	if got := testid(doc, "flash").Text(); code != 200 || got != want {
		t.Fatalf("after the reset: %d %q, want 200 %q", code, got, want)
	}
	if code, _ := elsewhere.get("/users"); code != 303 {
		t.Errorf("the other session after the reset: %d, want the login page", code)
	}
}

// TestWrongCurrentPasswordsCountAgainstTheLoginLimit: guessing the
// current password on the account page is no faster than on the login
// form; a right one does not count.
func TestWrongCurrentPasswordsCountAgainstTheLoginLimit(t *testing.T) {
	e := newEnv(t, func(o *app.Options) { o.LoginLimit = 2 })
	e.user("barnaby", store.RoleOperator)
	c := e.login("barnaby")
	wrong := url.Values{"current_password": {"guess"}, "password": {"new password"}, "password_confirm": {"new password"}}
	for i := range 2 {
		if code, _ := c.postDoc("/account/password", wrong); code != 422 {
			t.Fatalf("wrong guess %d: %d, want 422", i+1, code)
		}
	}
	code, doc := c.postDoc("/account/password", url.Values{"current_password": {"pw-barnaby"}, "password": {"new password"}, "password_confirm": {"new password"}})
	if got := testid(doc, "error-current_password").Text(); code != 429 || got == "" {
		t.Fatalf("after 2 wrong guesses: %d %q, want 429 saying to wait", code, got)
	}
	if u, _ := e.db.GetUserByName(context.Background(), "barnaby"); !app.CheckPassword(u.PasswordHash, "pw-barnaby") {
		t.Fatal("a refused attempt changed the password")
	}
}
