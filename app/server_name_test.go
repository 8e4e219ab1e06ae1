package app_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/left4me/left4me/store"
)

// A name the rule refuses shows the form again with a sentence that says
// what is wrong as the user sees it, and creates nothing: a long name is
// not cut to another server's name, a character is named as typed.
func TestAServerNameIsRefusedAsTypedNeverCut(t *testing.T) {
	e := newEnv(t)
	c := e.as(store.RoleAdmin)
	c.get("/servers/new")
	long := strings.Repeat("x", 40)
	tests := []struct{ name, want string }{
		{long, "the name is 40 characters long, at most 32 are allowed"},
		{"café", "contains “é”"},
	}
	for _, tt := range tests {
		code, doc := c.postDoc("/servers", url.Values{"name": {tt.name}, "blueprint": {"1"}})
		if code != 422 {
			t.Fatalf("POST /servers name %q = %d, want 422", tt.name, code)
		}
		if got := doc.Find(`[data-testid="server-form"] input[name="name"]`).AttrOr("value", ""); got != tt.name {
			t.Errorf("the form shows the name as %q, want it as typed, %q", got, tt.name)
		}
		if msg := doc.Find(".field-error").Text(); !strings.Contains(msg, tt.want) {
			t.Errorf("name %q: errors %q, want %q", tt.name, msg, tt.want)
		}
	}
	_, doc := c.get("/servers/new")
	if _, cut := doc.Find(`input[name="name"]`).Attr("maxlength"); cut {
		t.Error("the name field has a maxlength: a browser cuts a longer name silently")
	}
	servers, err := e.db.ListServers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(servers) != 0 {
		t.Errorf("refused names created %d servers", len(servers))
	}
}
