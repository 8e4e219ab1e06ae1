package app

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"

	"github.com/gofiber/fiber/v2"
)

// csrfHeader is the header htmx requests carry the token in (app.js
// copies it from <meta name="csrf-token">).
const csrfHeader = "X-CSRF-Token"

// csrfField is the form field forms carry the token in.
const csrfField = "_csrf"

// errCSRF is the answer to a POST without the page's token.
var errCSRF = fiber.NewError(fiber.StatusForbidden,
	"This form has expired or did not come from this panel. Reload the page and try again.")

// csrf refuses every request but GET and HEAD that does not carry the
// browser's CSRF token in the X-CSRF-Token header or the _csrf field of a
// form body. Never from the query string: a token in a URL ends up in
// logs, history and Referer headers. It runs after session, which decides
// the token.
func (h *handlers) csrf(c *fiber.Ctx) error {
	switch c.Method() {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
		return c.Next()
	}
	want, _ := c.Locals(localCSRF).(string)
	got := c.Get(csrfHeader)
	if got == "" {
		got = bodyFormValue(c, csrfField)
	}
	if want == "" || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return errCSRF
	}
	return c.Next()
}

// bodyFormValue is the form field key of the request body (URL-encoded or
// multipart), never of the query string as c.FormValue would also take.
// Every POST handler reads its fields with it: a password, token or CSRF
// token in a URL ends up in access logs, history and Referer headers.
//
// A browser's add-on upload is read as it arrives (readUploadForm): only
// its fields before the file count.
func bodyFormValue(c *fiber.Ctx, key string) string {
	if isStreamedForm(c) {
		return readUploadForm(c).values[key]
	}
	if v := c.Request().PostArgs().Peek(key); len(v) > 0 {
		return string(v)
	}
	if !bytes.HasPrefix(c.Request().Header.ContentType(), []byte(fiber.MIMEMultipartForm)) {
		return ""
	}
	limit, _ := c.Locals(localBodyLimit).(int64)
	if f, err := c.Request().MultipartFormWithLimit(int(limit)); err == nil && len(f.Value[key]) > 0 {
		return f.Value[key][0]
	}
	return ""
}

// bodyFormValues are all the values of the form field key of a URL-encoded
// request body, in order (a list the form repeats a field for).
func bodyFormValues(c *fiber.Ctx, key string) []string {
	var vs []string
	for _, v := range c.Request().PostArgs().PeekMulti(key) {
		vs = append(vs, string(v))
	}
	return vs
}

// A browser without a session carries a pre-session CSRF token (for
// /login and /setup) in a cookie and in every form. It is 16 random bytes
// and the first 16 bytes of their HMAC-SHA256 under the panel's key, 43
// characters of base64url: only this panel can make one, so a cookie and
// field of an attacker's choosing do not log a browser in (login CSRF).
// The key is made at start-up; a login form left open across a restart
// asks for a reload.
const preSessionNonce = 16

// newPreSessionToken returns a new pre-session CSRF token.
func (h *handlers) newPreSessionToken() string {
	nonce := make([]byte, preSessionNonce)
	if _, err := rand.Read(nonce); err != nil {
		panic(errNoRandom) // crypto/rand does not fail on Linux
	}
	return base64.RawURLEncoding.EncodeToString(append(nonce, h.preSessionMAC(nonce)...))
}

// validPreSessionToken reports whether tok is a pre-session token this
// panel made.
func (h *handlers) validPreSessionToken(tok string) bool {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(b) != 2*preSessionNonce {
		return false
	}
	return hmac.Equal(h.preSessionMAC(b[:preSessionNonce]), b[preSessionNonce:])
}

func (h *handlers) preSessionMAC(nonce []byte) []byte {
	m := hmac.New(sha256.New, h.csrfKey)
	m.Write([]byte("left4me pre-session csrf\x00"))
	m.Write(nonce)
	return m.Sum(nil)[:preSessionNonce]
}
