package static_test

import (
	"regexp"
	"testing"
)

// TestBadgeTextReachesWCAGAA reads app.css: every state badge sets its own
// background and text colour, the same in light and dark mode, and its
// text reaches 4.5:1 on its background (WCAG AA for the badges' small
// bold text).
func TestBadgeTextReachesWCAGAA(t *testing.T) {
	css := read(t, "app.css")
	rules := regexp.MustCompile(`([^{}]*\.badge\[data-state=[^{}]*)\{([^}]*)\}`).FindAllStringSubmatch(css, -1)
	stateOf := regexp.MustCompile(`\.badge\[data-state="([a-z-]+)"\]`)
	bg := regexp.MustCompile(`background:\s*(#[0-9a-fA-F]{3,6})`)
	fg := regexp.MustCompile(`(?:^|[^-])color:\s*(#[0-9a-fA-F]{3,6})`)
	seen := map[string]bool{}
	for _, r := range rules {
		var state string
		for _, m := range stateOf.FindAllStringSubmatch(r[1], -1) {
			seen[m[1]] = true
			state += m[1] + " "
		}
		body := r[2]
		b, f := bg.FindStringSubmatch(body), fg.FindStringSubmatch(body)
		if b == nil || f == nil {
			t.Errorf("badge %s: no background and colour of its own in %q", state, body)
			continue
		}
		got := ratio(parseColor(t, b[1]), parseColor(t, f[1]))
		t.Logf("badge %s: %s on %s: %.2f:1", state, f[1], b[1], got)
		if got < 4.5 {
			t.Errorf("badge %s: %s on %s is %.2f:1, below 4.5:1", state, f[1], b[1], got)
		}
	}
	// The states a page draws, the live view's among them.
	for _, s := range []string{"running", "starting", "stopping", "crashlooping", "failed", "stopped", "unknown", "not-answering"} {
		if !seen[s] {
			t.Errorf("app.css has no badge for %s", s)
		}
	}
}
