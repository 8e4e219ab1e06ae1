package main

import (
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

func TestParseWebAnswer(t *testing.T) {
	a, err := parseWebAnswer("<p>body\nmore</p>\n303 http://127.0.0.1:8080/blueprints")
	if err != nil {
		t.Fatal(err)
	}
	if a.status != 303 || a.location != "http://127.0.0.1:8080/blueprints" || a.body != "<p>body\nmore</p>" {
		t.Errorf("got %+v", a)
	}
	a, err = parseWebAnswer("<html></html>\n200 ")
	if err != nil || a.status != 200 || a.location != "" {
		t.Errorf("got %+v, %v", a, err)
	}
	for _, bad := range []string{"", "no status line", "body\nxyz "} {
		if _, err := parseWebAnswer(bad); err == nil {
			t.Errorf("parseWebAnswer(%q) took it", bad)
		}
	}
}

func TestFormValues(t *testing.T) {
	const page = `<form data-testid="blueprint-form" method="post">
<input type="hidden" name="_csrf" value="tok&amp;en">
<input name="name" value="default">
<textarea name="args">-nohltv
+sv_lan</textarea>
<textarea name="server_cfg">
hostname &#34;Game night&#34;
</textarea>
<button type="submit">Save</button>
</form><form data-testid="other"><input name="_csrf" value="x"></form>`
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	v, err := formValues(doc, "form[data-testid=blueprint-form]")
	if err != nil {
		t.Fatal(err)
	}
	// As a browser sends it: entities decoded, the newline right after
	// <textarea> dropped.
	want := map[string]string{"_csrf": "tok&en", "name": "default", "args": "-nohltv\n+sv_lan",
		"server_cfg": "hostname \"Game night\"\n"}
	for k, w := range want {
		if got := v.Get(k); got != w {
			t.Errorf("%s = %q, want %q", k, got, w)
		}
	}
	if len(v) != len(want) {
		t.Errorf("fields %v, want %d", v, len(want))
	}
	if _, err := formValues(doc, "form"); err == nil {
		t.Error("two forms matched, and it took them")
	}
	doc, _ = goquery.NewDocumentFromReader(strings.NewReader(`<form id="f"><input name="a"></form>`))
	if _, err := formValues(doc, "#f"); err == nil {
		t.Error("a form without a CSRF token was taken")
	}
}
