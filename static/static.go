// Package static embeds the panel's scripts and styles: htmx, its
// idiomorph extension (the "morph" swap) and Pico CSS vendored at pinned
// versions from the npm registry, unchanged, and the panel's own
// app.js and app.css. Files are served under URLs that contain a hash of
// their content, so they can be cached for a year and still change the
// moment a file does. Nothing is loaded from a CDN.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"path"
	"strings"
	"sync"

	"github.com/gofiber/fiber/v2"
)

// Versions of the vendored libraries, as in their file names.
const (
	HTMXVersion      = "2.0.11"
	IdiomorphVersion = "0.8.0" // dist/idiomorph-ext.min.js, 0BSD
	PicoVersion      = "2.1.1"
)

//go:embed app.js app.css vendor/*.js vendor/*.css
var files embed.FS

// Prefix is where Register mounts the files.
const Prefix = "/static/"

type asset struct {
	hash  string
	body  []byte
	ctype string
}

var (
	once   sync.Once
	assets map[string]asset // by file name, e.g. vendor/htmx-2.0.11.min.js
)

func load() {
	assets = map[string]asset{}
	err := fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		ctype := mime.TypeByExtension(path.Ext(p))
		if strings.HasSuffix(p, ".js") {
			ctype = "text/javascript; charset=utf-8"
		}
		assets[p] = asset{hash: hex.EncodeToString(sum[:6]), body: body, ctype: ctype}
		return nil
	})
	if err != nil {
		panic("static: " + err.Error()) // the embedded tree is fixed at build time
	}
}

// URL returns the versioned URL of an embedded file, e.g.
// URL("app.js") = "/static/3f2a9c01b7de/app.js". It panics for a file that
// is not embedded, which is a programming error caught by any test that
// renders a page.
func URL(name string) string {
	once.Do(load)
	a, ok := assets[name]
	if !ok {
		panic("static: no embedded file " + name)
	}
	return Prefix + a.hash + "/" + name
}

// HTMX is the URL of the vendored htmx.
func HTMX() string { return URL("vendor/htmx-" + HTMXVersion + ".min.js") }

// Idiomorph is the URL of the vendored idiomorph with its htmx extension
// (hx-ext="morph", hx-swap="morph"): a polled fragment swapped this way
// keeps the elements that did not change, and with them focus and
// selection.
func Idiomorph() string { return URL("vendor/idiomorph-ext-" + IdiomorphVersion + ".min.js") }

// Pico is the URL of the vendored Pico CSS.
func Pico() string { return URL("vendor/pico-" + PicoVersion + ".min.css") }

// Register serves the embedded files under Prefix. A request whose hash
// is not the file's current one gets 404, so a stale page never receives
// a new file cached under an old URL.
func Register(f *fiber.App) {
	once.Do(load)
	f.Get(Prefix+"+", func(c *fiber.Ctx) error {
		rest := c.Params("+")
		hash, name, ok := strings.Cut(rest, "/")
		a, found := assets[name]
		if !ok || !found || a.hash != hash {
			return fiber.ErrNotFound
		}
		c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
		c.Set(fiber.HeaderContentType, a.ctype)
		return c.Send(a.body)
	})
}
