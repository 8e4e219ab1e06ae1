package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"time"

	"github.com/PuerkitoBio/goquery"
)

// sessionCookie is the panel's session cookie (app.sessionCookie).
const sessionCookie = "left4me_session"

// browser is a logged-in client of the panel, as a browser would be: it
// keeps the cookies and sends the CSRF token of the last page it read.
type browser struct {
	base   string // http://ADDR
	client *http.Client
	csrf   string
}

func newBrowser(base string) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{base: base, client: &http.Client{
		Jar: jar,
		// Answers are read as they are: a redirect says the step worked.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// waitReady waits until the panel answers GET /healthz, for at most
// timeout: make loadtest starts the panel just before the load test.
func (b *browser) waitReady(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.base+"/healthz", nil)
		if err != nil {
			return err
		}
		resp, err := b.client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the panel at %s did not answer GET /healthz within %s", b.base, timeout)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// get reads the page at path and remembers its CSRF token.
func (b *browser) get(ctx context.Context, path string) (*goquery.Document, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.base+path, nil)
	if err != nil {
		return nil, err
	}
	resp, err := b.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	doc, err := goquery.NewDocumentFromReader(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", path, err)
	}
	if tok, ok := doc.Find(`meta[name="csrf-token"]`).Attr("content"); ok {
		b.csrf = tok
	}
	return doc, nil
}

// post submits form to path with the CSRF token and returns the status.
func (b *browser) post(ctx context.Context, path string, form url.Values) (int, error) {
	form.Set("_csrf", b.csrf)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := b.client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("POST %s: %w", path, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// login logs in through the form, as a browser does: GET /login for the
// CSRF cookie and token, then POST /login.
func (b *browser) login(ctx context.Context, name, password string) error {
	if _, err := b.get(ctx, "/login"); err != nil {
		return err
	}
	status, err := b.post(ctx, "/login", url.Values{"name": {name}, "password": {password}, "next": {"/"}})
	if err != nil {
		return err
	}
	if status != http.StatusSeeOther || b.session() == "" {
		return fmt.Errorf("log in as %s: the panel answered %d (wrong name or password?)", name, status)
	}
	return nil
}

// session is the session cookie's value, "" before a login.
func (b *browser) session() string {
	u, _ := url.Parse(b.base)
	for _, c := range b.client.Jar.Cookies(u) {
		if c.Name == sessionCookie {
			return c.Value
		}
	}
	return ""
}

// seed creates servers load-1 … load-n with the first blueprint and the
// next free port, until the panel has at least n servers, and starts every
// other one it creates, so that the dashboard shows a mix of states (an
// admin's session is needed). It returns how many it created.
func (b *browser) seed(ctx context.Context, n int) (int, error) {
	have, err := b.countServers(ctx)
	if err != nil {
		return 0, err
	}
	doc, err := b.get(ctx, "/servers/new")
	if err != nil {
		return 0, fmt.Errorf("%w (seeding needs an admin)", err)
	}
	blueprint, ok := doc.Find(`select[name="blueprint"] option`).First().Attr("value")
	if !ok {
		return 0, fmt.Errorf("seed: the panel has no blueprint")
	}
	created := 0
	for i := 1; have+created < n; i++ {
		name := fmt.Sprintf("load-%d", i)
		status, err := b.post(ctx, "/servers", url.Values{
			"name": {name}, "title": {fmt.Sprintf("Load test %d", i)}, "blueprint": {blueprint},
		})
		switch {
		case err != nil:
			return created, err
		case status == http.StatusSeeOther:
			created++
		case status == http.StatusUnprocessableEntity && i <= n:
			continue // load-i exists already: try the next name
		default:
			return created, fmt.Errorf("seed: create %s: the panel answered %d (ports left?)", name, status)
		}
		if created%2 == 0 {
			continue
		}
		status, err = b.post(ctx, "/servers/"+name+"/start", url.Values{"back": {"/"}})
		if err != nil {
			return created, err
		}
		if status != http.StatusSeeOther {
			return created, fmt.Errorf("seed: start %s: the panel answered %d", name, status)
		}
	}
	return created, nil
}

// countServers counts the rows of the status fragment.
func (b *browser) countServers(ctx context.Context) (int, error) {
	doc, err := b.get(ctx, "/servers/status")
	if err != nil {
		return 0, err
	}
	if doc.Find(`[data-testid="status-table"]`).Length() != 1 {
		return 0, fmt.Errorf("GET /servers/status: no status table in the answer")
	}
	return doc.Find(`[data-testid="server-row"]`).Length(), nil
}
