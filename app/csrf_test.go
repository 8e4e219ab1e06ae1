package app_test

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/left4me/left4me/app"
	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/store/storetest"
)

func TestTheCSRFTokenComesFromTheBodyOrTheHeaderNeverTheQuery(t *testing.T) {
	e := newEnv(t)
	storetest.Server(t, e.db, "coop-1", 27015)
	c := e.as(store.RoleOperator)
	noJobs := func(t *testing.T) {
		t.Helper()
		if js, _ := e.db.ListJobs(context.Background(), store.JobFilter{}); len(js) != 0 {
			t.Fatalf("a refused POST queued %d jobs", len(js))
		}
	}
	for _, tc := range []struct {
		name, contentType, body string
	}{
		{"no body", "", ""},
		{"a form body without it", "application/x-www-form-urlencoded", "back=%2F"},
		{"a form body with a wrong one", "application/x-www-form-urlencoded", "_csrf=nope"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest("POST", "/servers/coop-1/restart?_csrf="+url.QueryEscape(c.csrf), strings.NewReader(tc.body))
			if tc.contentType != "" {
				req.Header.Set("Content-Type", tc.contentType)
			}
			if resp := c.do(req); resp.StatusCode != http.StatusForbidden {
				t.Fatalf("the token in the query string: %d, want 403", resp.StatusCode)
			}
			noJobs(t)
		})
	}
	t.Run("a multipart form body", func(t *testing.T) {
		var body bytes.Buffer
		w := multipart.NewWriter(&body)
		w.WriteField("_csrf", c.csrf)
		w.Close()
		req := httptest.NewRequest("POST", "/servers/coop-1/restart", &body)
		req.Header.Set("Content-Type", w.FormDataContentType())
		if resp := c.do(req); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("the token in a multipart body: %d, want 303", resp.StatusCode)
		}
		if js, _ := e.db.ListJobs(context.Background(), store.JobFilter{}); len(js) != 1 || js[0].Operation != store.OpRestart {
			t.Fatalf("jobs %+v, want one restart", js)
		}
	})
}

func TestOnlyAPreSessionTokenThePanelMadeLogsIn(t *testing.T) {
	e := newEnv(t)
	e.user("bob", store.RoleOperator)
	bob := url.Values{"name": {"bob"}, "password": {"pw-bob"}}
	withToken := func(tok string) url.Values {
		f := url.Values{"_csrf": {tok}}
		for k, v := range bob {
			f[k] = v
		}
		return f
	}

	// A cookie and field the attacker chose.
	forged := strings.Repeat("A", 43)
	c := e.anon()
	c.cookies["left4me_csrf"] = forged
	if resp := c.post("/login", withToken(forged)); resp.StatusCode != http.StatusForbidden || c.cookies["left4me_session"] != "" {
		t.Fatalf("login with a forged pre-session token: %d", resp.StatusCode)
	}

	// A token another panel made (a key of its own).
	other := *e
	other.app = app.New(e.opts)
	o := other.anon()
	o.get("/login")
	c = e.anon()
	c.cookies["left4me_csrf"] = o.cookies["left4me_csrf"]
	if resp := c.post("/login", withToken(o.csrf)); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("login with another panel's token: %d", resp.StatusCode)
	}

	// The login page replaces a forged cookie with a token of the panel's.
	c = e.anon()
	c.cookies["left4me_csrf"] = forged
	c.get("/login")
	if c.csrf == forged || c.cookies["left4me_csrf"] != c.csrf {
		t.Fatalf("the page kept the forged token: page %q, cookie %q", c.csrf, c.cookies["left4me_csrf"])
	}
	if resp := c.post("/login", bob); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login with the panel's token: %d", resp.StatusCode)
	}
}
