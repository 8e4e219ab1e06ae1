package app_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/left4me/left4me/store"
)

// TestTokenNamesAreUniqueAndTheListShowsPrefixes: a second working token
// of the same name (in any case) is refused; a revoked one's name is free
// again; each row shows the token's first characters, and the new token
// comes with a copy button.
func TestTokenNamesAreUniqueAndTheListShowsPrefixes(t *testing.T) {
	e := newEnv(t)
	e.user("bob", store.RoleOperator)
	c := e.login("bob")
	code, doc := c.postDoc("/account/tokens", url.Values{"name": {"Deploy script"}})
	token := testid(doc, "new-token").Text()
	if code != 200 || !strings.HasPrefix(token, "l4m_") {
		t.Fatalf("the first token: %d %q", code, token)
	}
	copyButton := testid(doc, "new-token-copy")
	if target := copyButton.AttrOr("data-copy", ""); target == "" || doc.Find("#"+target).Text() != token {
		t.Errorf("the copy button copies %q, not the token", target)
	}
	if _, hidden := copyButton.Attr("hidden"); !hidden {
		t.Error("the copy button shows without the script that makes it work")
	}
	if got, want := testid(doc, "token-prefix").Text(), token[:8]+"…"; strings.TrimSpace(got) != want {
		t.Errorf("the row shows %q, want %q", got, want)
	}
	if strings.Contains(doc.Find(`[data-testid="tokens"]`).Text(), token) {
		t.Error("the list shows the whole token")
	}

	code, doc = c.postDoc("/account/tokens", url.Values{"name": {"deploy SCRIPT"}})
	got := testid(doc, "error-name").Text()
	if code != 422 || got != "You already have a token named Deploy script: give this one another name, or revoke that one first." {
		t.Fatalf("a second token of that name: %d %q", code, got)
	}
	if testid(doc, "token-row").Length() != 1 || testid(doc, "new-token").Length() != 0 {
		t.Fatal("the refused token was made")
	}

	id := testid(doc, "token-row").AttrOr("data-id", "")
	if resp := c.post("/account/tokens/"+id+"/revoke", nil); resp.StatusCode != 303 {
		t.Fatalf("revoke: %d", resp.StatusCode)
	}
	if code, doc = c.postDoc("/account/tokens", url.Values{"name": {"deploy script"}}); code != 200 || testid(doc, "new-token").Length() != 1 {
		t.Fatalf("the name of a revoked token: %d %q", code, testid(doc, "error-name").Text())
	}
}
