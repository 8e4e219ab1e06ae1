package app_test

import (
	"net/url"
	"testing"

	"github.com/left4me/left4me/store"
)

// A boosted form whose POST answers with a page (errors, a refusal, a
// token shown once) keeps the form's page in the address bar, so that a
// reload shows the form and not "Method Not Allowed"; one that redirects
// leaves the history to the redirect.
func TestAFormAnsweredWithAPageKeepsTheAddressOfItsPage(t *testing.T) {
	e := newEnv(t)
	c := e.as(store.RoleAdmin)
	c.get("/")
	c.header.Set("HX-Request", "true")
	tests := []struct {
		name, path string
		form       url.Values
		code       int
		keep       bool
	}{
		{"a server form with an error", "/servers", url.Values{"name": {"Bad Name"}, "blueprint": {"1"}}, 422, true},
		{"a refused delete of the default blueprint", "/blueprints/1/delete", nil, 409, true},
		{"a new token shown once", "/account/tokens", url.Values{"name": {"ci"}}, 200, true},
		{"a server created", "/servers", url.Values{"name": {"ok-1"}, "blueprint": {"1"}}, 303, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := c.post(tt.path, tt.form)
			resp.Body.Close()
			if resp.StatusCode != tt.code {
				t.Fatalf("POST %s = %d, want %d", tt.path, resp.StatusCode, tt.code)
			}
			got := resp.Header.Get("HX-Push-Url")
			if tt.keep && got != "false" {
				t.Errorf("HX-Push-Url = %q, want false: htmx would push %s, which a reload cannot GET", got, tt.path)
			}
			if !tt.keep && got != "" {
				t.Errorf("HX-Push-Url = %q on a redirect, want none", got)
			}
		})
	}

	// Without htmx the browser handles the POST itself: no header.
	c.header.Del("HX-Request")
	resp := c.post("/servers", url.Values{"name": {"Bad Name"}, "blueprint": {"1"}})
	resp.Body.Close()
	if got := resp.Header.Get("HX-Push-Url"); got != "" {
		t.Errorf("a plain form post got HX-Push-Url %q", got)
	}
}
