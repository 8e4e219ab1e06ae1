package app_test

import (
	"context"
	"encoding/base64"
	"net/url"
	"strings"
	"testing"

	"github.com/left4me/left4me/store"
)

func TestAResetOrADisableEndsSessionsAndRevokesTokens(t *testing.T) {
	tests := []struct {
		name       string
		path       string
		form       url.Values
		wantNotice string
	}{
		{"a password reset", "password", url.Values{"password": {"new password"}, "password_confirm": {"new password"}},
			"The password of bob is set: 1 session ended and 2 API tokens revoked."},
		{"a disable", "disable", nil, "bob is disabled: 1 session ended and 2 API tokens revoked."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			root := e.sessionFor(e.user("root", store.RoleAdmin))
			bob := e.user("bob", store.RoleOperator)
			browser := e.login("bob")
			scripts := []*apiClient{e.api(e.tokenFor(bob)), e.api(e.tokenFor(bob))}
			for _, s := range scripts {
				s.callJSON("GET", "/api/v1/servers", nil, 200, nil)
			}

			resp := root.post("/users/"+itoa(bob.ID)+"/"+tt.path, tt.form)
			if resp.StatusCode != 303 {
				t.Fatalf("%s: %d", tt.path, resp.StatusCode)
			}
			code, doc := root.get(resp.Header.Get("Location"))
			if got := testid(doc, "flash").Text(); code != 200 || got != tt.wantNotice {
				t.Fatalf("the users page says %q (%d), want %q", got, code, tt.wantNotice)
			}
			if code, _ := browser.get("/"); code != 303 {
				t.Fatalf("bob's session after %s: %d, want the login page", tt.name, code)
			}
			for _, s := range scripts {
				s.callJSON("GET", "/api/v1/servers", nil, 401, nil)
			}
			// Enabling bob again brings no token back.
			root.post("/users/"+itoa(bob.ID)+"/enable", nil)
			scripts[0].callJSON("GET", "/api/v1/servers", nil, 401, nil)
		})
	}
}

// TestTheUsersFlashIsBuiltFromWhatThePanelWrote: a flash cookie the
// panel did not write (an unknown change, counts that are no numbers, a
// name that is no base64) shows nothing; a name the rule refuses is
// spelled out in ASCII.
func TestTheUsersFlashIsBuiltFromWhatThePanelWrote(t *testing.T) {
	e := newEnv(t)
	root := e.sessionFor(e.user("root", store.RoleAdmin))
	bob := base64.RawURLEncoding.EncodeToString([]byte("bob"))
	for _, v := range []string{"user.password." + bob + ".x.2", "user.<script>." + bob + ".1.2", "user.deleted.!!!.1.2",
		"user.deleted." + bob + ".1", "user.deleted." + bob + ".-1.2", "user.deleted..1.2"} {
		root.cookies["left4me_flash"] = v
		if _, doc := root.get("/users"); testid(doc, "flash").Length() != 0 {
			t.Errorf("the cookie %q shows a flash: %q", v, testid(doc, "flash").Text())
		}
	}
	root.cookies["left4me_flash"] = "user.disabled." + base64.RawURLEncoding.EncodeToString([]byte("\u202enimda")) + ".0.0"
	if _, doc := root.get("/users"); testid(doc, "flash").Text() != `"\u202enimda" is disabled: 0 sessions ended and 0 API tokens revoked.` {
		t.Errorf("a name the rule refuses: %q", testid(doc, "flash").Text())
	}
}

func TestAUserHasAtMost20WorkingTokens(t *testing.T) {
	e := newEnv(t)
	bob := e.user("bob", store.RoleOperator)
	for range store.MaxAPITokens {
		e.tokenFor(bob)
	}
	c := e.login("bob")
	code, doc := c.postDoc("/account/tokens", url.Values{"name": {"one more"}})
	if code != 422 || !strings.Contains(testid(doc, "error-name").Text(), "revoke one") || testid(doc, "new-token").Length() != 0 {
		t.Fatalf("token %d: %d %q, want 422 asking to revoke one", store.MaxAPITokens+1, code, testid(doc, "error-name").Text())
	}
	if ts, _ := e.db.ListAPITokens(context.Background(), bob.ID); len(ts) != store.MaxAPITokens {
		t.Fatalf("%d tokens", len(ts))
	}
}

// TestUserNamesCannotPassForAnother: unique regardless of case, no
// control, invisible or direction characters.
func TestUserNamesCannotPassForAnother(t *testing.T) {
	e := newEnv(t)
	root := e.sessionFor(e.user("admin", store.RoleAdmin))
	for _, tt := range []struct{ name, want string }{
		{"Admin", "Admin is too like the name of user admin"},
		{"ADMIN ", "too like the name of user admin"},
		{"\u202enimda", "U+202E (character 1): it changes the direction"},
		{"ad\u200bmin", "U+200B (character 3): it cannot be seen"},
		{"ad\x00min", "U+0000"},
	} {
		code, doc := root.postDoc("/users", url.Values{"name": {tt.name}, "role": {"admin"}, "password": {"long enough"}, "password_confirm": {"long enough"}})
		if got := testid(doc, "error-name").Text(); code != 422 || !strings.Contains(got, tt.want) {
			t.Errorf("user %q: %d %q, want 422 saying %q", tt.name, code, got, tt.want)
		}
	}
	if n, _ := e.db.CountUsers(context.Background()); n != 1 {
		t.Fatalf("%d users", n)
	}
}

// TestTheUsersPageMarksLookAlikesFromBeforeTheRule: accounts the
// migration kept (a look-alike without a key, a name with a right-to-left
// override) are marked, spelled out in ASCII.
func TestTheUsersPageMarksLookAlikesFromBeforeTheRule(t *testing.T) {
	e := newEnv(t)
	root := e.sessionFor(e.user("admin", store.RoleAdmin))
	e.user("bob", store.RoleOperator)
	if _, err := e.db.Writer().DB.ExecContext(context.Background(), `INSERT INTO users (name, name_key, password_hash, role, created_at)
		VALUES ('Admin', NULL, 'h', 'admin', 0), (?, 'nimda', 'h', 'operator', 0)`, "\u202enimda"); err != nil {
		t.Fatal(err)
	}
	_, doc := root.get("/users")
	warn := func(name string) string {
		return doc.Find(`[data-testid="user-row"][data-name="` + name + `"] [data-testid="user-name-warning"]`).Text()
	}
	if w := warn("Admin"); !strings.Contains(w, `"Admin", looks like that of user "admin"`) {
		t.Errorf("the look-alike's warning: %q", w)
	}
	if w := warn("\u202enimda"); !strings.Contains(w, `"\u202enimda"`) || !strings.Contains(w, "U+202E") {
		t.Errorf("the override's warning: %q", w)
	}
	for _, n := range []string{"admin", "bob"} {
		if w := warn(n); w != "" {
			t.Errorf("%s is marked: %q", n, w)
		}
	}
}
