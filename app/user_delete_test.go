package app_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/store/storetest"
)

// TestAnAdminDeletesAUserWhoseJobsKeepTheirName: bob's sessions end, his
// tokens go, and the job he asked for still says "bob" on its page.
func TestAnAdminDeletesAUserWhoseJobsKeepTheirName(t *testing.T) {
	e := newEnv(t)
	root := e.sessionFor(e.user("root", store.RoleAdmin))
	bob := e.user("bob", store.RoleOperator)
	browser := e.login("bob")
	script := e.api(e.tokenFor(bob))
	e.tokenFor(bob)
	storetest.Server(t, e.db, "coop-1", 27015)
	if resp := browser.post("/servers/coop-1/start", nil); resp.StatusCode != 303 {
		t.Fatalf("bob's start: %d", resp.StatusCode)
	}
	js, err := e.db.ListJobs(context.Background(), store.JobFilter{ServerName: "coop-1"})
	if err != nil || len(js) != 1 || js[0].RequestedByName != "bob" {
		t.Fatalf("bob's job: %+v, %v", js, err)
	}

	resp := root.post("/users/"+itoa(bob.ID)+"/delete", nil)
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/users" {
		t.Fatalf("delete: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, doc := root.get("/users")
	if got, want := testid(doc, "flash").Text(), "Deleted user bob: 1 session ended and 2 API tokens revoked. Their jobs still name them."; got != want {
		t.Errorf("the users page says %q, want %q", got, want)
	}
	if doc.Find(`[data-testid="user-row"][data-name="bob"]`).Length() != 0 {
		t.Error("bob is still listed")
	}
	if _, err := e.db.GetUser(context.Background(), bob.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("bob after his deletion: %v", err)
	}
	if code, _ := browser.get("/"); code != 303 {
		t.Errorf("bob's session after his deletion: %d, want the login page", code)
	}
	script.callJSON("GET", "/api/v1/servers", nil, 401, nil)
	_, doc = root.get("/jobs/" + itoa(js[0].ID))
	if got := testid(doc, "job-by").Text(); got != "bob (deleted)" {
		t.Errorf("the job page says asked by %q, want bob (deleted)", got)
	}
}

func TestAnAdminCannotDeleteThemselves(t *testing.T) {
	e := newEnv(t)
	root := e.user("root", store.RoleAdmin)
	e.user("ann", store.RoleAdmin)
	c := e.sessionFor(root)
	_, doc := c.get("/users")
	if n := doc.Find(`[data-testid="user-row"][data-name="root"] [data-testid="user-delete"]`).Length(); n != 0 {
		t.Error("the admin's own row offers Delete")
	}
	if n := doc.Find(`[data-testid="user-row"][data-name="ann"] [data-testid="user-delete"]`).Length(); n != 1 {
		t.Error("another admin's row offers no Delete")
	}
	code, doc := c.postDoc("/users/"+itoa(root.ID)+"/delete", nil)
	got := doc.Find(`[data-testid="user-row"][data-name="root"] [data-testid="user-error"]`).Text()
	if code != 409 || !strings.Contains(got, "You cannot delete your own account") {
		t.Fatalf("deleting themselves: %d %q", code, got)
	}
	if _, err := e.db.GetUser(context.Background(), root.ID); err != nil {
		t.Fatalf("root after the refusal: %v", err)
	}
	if code, _ := c.get("/users"); code != 200 {
		t.Fatalf("root's session after the refusal: %d", code)
	}
	if resp := c.post("/users/999/delete", nil); resp.StatusCode != 404 {
		t.Fatalf("deleting nobody: %d", resp.StatusCode)
	}
}

// TestEveryChangeOnTheUsersPageIsConfirmed: the next page's flash says
// what was done, once.
func TestEveryChangeOnTheUsersPageIsConfirmed(t *testing.T) {
	e := newEnv(t)
	c := e.sessionFor(e.user("root", store.RoleAdmin))
	bob := e.user("bob", store.RoleOperator)
	for _, tt := range []struct {
		path string
		form url.Values
		want string
	}{
		{"/users", url.Values{"name": {"dora"}, "role": {"admin"}, "password": {"long enough"}, "password_confirm": {"long enough"}},
			"Created user dora, an admin."},
		{"/users/" + itoa(bob.ID) + "/role", url.Values{"role": {"admin"}}, "bob is an admin now."},
		{"/users/" + itoa(bob.ID) + "/role", url.Values{"role": {"operator"}}, "bob is an operator now."},
		{"/users/" + itoa(bob.ID) + "/disable", nil, "bob is disabled: 0 sessions ended and 0 API tokens revoked."},
		{"/users/" + itoa(bob.ID) + "/enable", nil, "bob is enabled: they can log in again (their old API tokens stay revoked)."},
		{"/users/" + itoa(bob.ID) + "/password", url.Values{"password": {"long enough"}, "password_confirm": {"long enough"}},
			"The password of bob is set: 0 sessions ended and 0 API tokens revoked."},
	} {
		resp := c.post(tt.path, tt.form)
		if resp.StatusCode != 303 {
			t.Fatalf("%s: %d", tt.path, resp.StatusCode)
		}
		_, doc := c.get(resp.Header.Get("Location"))
		if got := testid(doc, "flash").Text(); got != tt.want {
			t.Errorf("after %s the page says %q, want %q", tt.path, got, tt.want)
		}
		if _, doc := c.get("/users"); testid(doc, "flash").Length() != 0 {
			t.Errorf("after %s the flash shows twice", tt.path)
		}
	}
}

// TestEveryFieldHasAVisibleLabel: every field of the users and account
// pages has a <label> (around it or naming it), not only a placeholder or
// an aria-label.
func TestEveryFieldHasAVisibleLabel(t *testing.T) {
	e := newEnv(t)
	c := e.sessionFor(e.user("root", store.RoleAdmin))
	e.user("bob", store.RoleOperator)
	e.tokenFor(e.user("ann", store.RoleOperator))
	for _, path := range []string{"/users", "/account"} {
		_, doc := c.get(path)
		fields := doc.Find(`main input:not([type="hidden"]), main select, main textarea`)
		if fields.Length() == 0 {
			t.Fatalf("%s has no fields", path)
		}
		fields.Each(func(_ int, f *goquery.Selection) {
			id := f.AttrOr("id", "")
			name := f.AttrOr("name", "")
			if f.ParentsFiltered("label").Length() > 0 {
				return
			}
			if id != "" && strings.TrimSpace(doc.Find(`label[for="`+id+`"]`).Text()) != "" {
				return
			}
			t.Errorf("%s: the field %q (id %q) has no visible label", path, name, id)
		})
	}
}
