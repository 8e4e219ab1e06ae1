package static_test

import (
	"io"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/static"
)

func TestFilesAreServedUnderVersionedURLsWithLongCaching(t *testing.T) {
	f := fiber.New()
	static.Register(f)
	for _, u := range []string{static.HTMX(), static.Idiomorph(), static.Pico(), static.URL("app.js"), static.URL("app.css")} {
		if !regexp.MustCompile(`^/static/[0-9a-f]{12}/`).MatchString(u) {
			t.Errorf("URL %s has no content hash", u)
		}
		resp, err := f.Test(httptest.NewRequest("GET", u, nil))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || len(body) == 0 {
			t.Fatalf("GET %s = %d, %d bytes", u, resp.StatusCode, len(body))
		}
		if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "max-age=31536000") || !strings.Contains(cc, "immutable") {
			t.Errorf("GET %s Cache-Control = %q", u, cc)
		}
		ct := resp.Header.Get("Content-Type")
		if (strings.HasSuffix(u, ".js") && !strings.HasPrefix(ct, "text/javascript")) || (strings.HasSuffix(u, ".css") && !strings.HasPrefix(ct, "text/css")) {
			t.Errorf("GET %s Content-Type = %q", u, ct)
		}
	}
	if !strings.Contains(static.HTMX(), "htmx-"+static.HTMXVersion) || !strings.Contains(static.Pico(), "pico-"+static.PicoVersion) ||
		!strings.Contains(static.Idiomorph(), "idiomorph-ext-"+static.IdiomorphVersion) {
		t.Error("vendored URLs do not carry the pinned versions")
	}
}

func TestStaleOrUnknownURLsAreNotFound(t *testing.T) {
	f := fiber.New()
	static.Register(f)
	name := strings.SplitN(strings.TrimPrefix(static.URL("app.js"), "/static/"), "/", 2)[1]
	for _, u := range []string{"/static/000000000000/" + name, "/static/nothing.js", "/static/" + strings.Repeat("a", 12) + "/../static.go"} {
		resp, err := f.Test(httptest.NewRequest("GET", u, nil))
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 404 {
			t.Errorf("GET %s = %d, want 404", u, resp.StatusCode)
		}
	}
}
