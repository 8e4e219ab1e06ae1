package main

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/PuerkitoBio/goquery"
)

// panelWeb drives the panel's HTML pages as a browser would: a session
// cookie from the login form, the CSRF token from each page, forms posted
// back. The blueprints have no JSON API; an admin edits them here. Like
// panelAPI it sends every request with curl inside the container; the
// cookie jar stays there (0600), and the password and form bodies go
// through curl's stdin, never its command line.
type panelWeb struct {
	b *bed
}

// cookieJar is curl's cookie file inside the container, readable by root
// only.
const cookieJar = "/root/.left4me-cookies"

// webAnswer is what the panel answered to one page request.
type webAnswer struct {
	status   int
	location string // the redirect's target, for a 3xx
	body     string
}

// request sends method path with the cookie jar, and form (when not nil)
// as an urlencoded body. It does not follow redirects.
func (w *panelWeb) request(ctx context.Context, method, path string, form url.Values) (webAnswer, error) {
	argv := []string{"sh", "-c", `umask 077; exec "$@"`, "sh",
		"curl", "-sS", "--max-time", "30", "-X", method, "-b", cookieJar, "-c", cookieJar,
		"-w", "\n%{http_code} %{redirect_url}"}
	var in string
	if form != nil {
		in = form.Encode()
		argv = append(argv, "-H", "Content-Type: application/x-www-form-urlencoded", "--data-binary", "@-")
	}
	res := w.b.c.exec(ctx, in, append(argv, panelURL+path)...)
	if res.code != 0 {
		return webAnswer{}, fmt.Errorf("%s %s: %s", method, path, res)
	}
	return parseWebAnswer(res.out)
}

// parseWebAnswer splits curl's output into the body and the last line,
// "STATUS REDIRECT_URL".
func parseWebAnswer(out string) (webAnswer, error) {
	i := strings.LastIndexByte(out, '\n')
	if i < 0 {
		return webAnswer{}, fmt.Errorf("no status line in %q", out)
	}
	status, location, _ := strings.Cut(out[i+1:], " ")
	n, err := strconv.Atoi(status)
	if err != nil {
		return webAnswer{}, fmt.Errorf("no status in %q", out[i+1:])
	}
	return webAnswer{status: n, location: strings.TrimSpace(location), body: out[:i]}, nil
}

// page GETs path and wants a 200 HTML page.
func (w *panelWeb) page(ctx context.Context, path string) (*goquery.Document, error) {
	a, err := w.request(ctx, "GET", path, nil)
	if err != nil {
		return nil, err
	}
	if a.status != 200 {
		return nil, fmt.Errorf("GET %s answered %d (to %q)", path, a.status, a.location)
	}
	return goquery.NewDocumentFromReader(strings.NewReader(a.body))
}

// formValues reads the named fields of the form sel in doc as a browser
// would send them: inputs' values, textareas' text.
func formValues(doc *goquery.Document, sel string) (url.Values, error) {
	form := doc.Find(sel)
	if form.Length() != 1 {
		return nil, fmt.Errorf("%d forms match %s", form.Length(), sel)
	}
	v := url.Values{}
	form.Find("input[name]").Each(func(_ int, s *goquery.Selection) {
		name, _ := s.Attr("name")
		value, _ := s.Attr("value")
		v.Add(name, value)
	})
	form.Find("textarea[name]").Each(func(_ int, s *goquery.Selection) {
		name, _ := s.Attr("name")
		v.Add(name, s.Text())
	})
	if v.Get("_csrf") == "" {
		return nil, fmt.Errorf("the form %s has no CSRF token", sel)
	}
	return v, nil
}

// post submits form to path and wants a 303 to want.
func (w *panelWeb) post(ctx context.Context, path string, form url.Values, want string) error {
	a, err := w.request(ctx, "POST", path, form)
	if err != nil {
		return err
	}
	if a.status != 303 || a.location != panelURL+want {
		return fmt.Errorf("POST %s answered %d to %q, want 303 to %s; page: %s", path, a.status, a.location, want, pageMessage(a.body))
	}
	return nil
}

// pageMessage picks the form's message and field errors out of a page
// that showed a form again, for an error message.
func pageMessage(body string) string {
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	if err != nil {
		return body
	}
	var msgs []string
	doc.Find("[data-testid=form-message], .field-error").Each(func(_ int, s *goquery.Selection) {
		msgs = append(msgs, strings.TrimSpace(s.Text()))
	})
	if len(msgs) == 0 {
		return strings.TrimSpace(doc.Find("title").Text())
	}
	return strings.Join(msgs, "; ")
}

// login logs the admin in through the login form into a fresh cookie jar.
func (w *panelWeb) login(ctx context.Context) bool {
	w.b.sh(ctx, "rm -f "+cookieJar)
	doc, err := w.page(ctx, "/login")
	var form url.Values
	if err == nil {
		form, err = formValues(doc, "form[data-testid=login-form]")
	}
	if err == nil {
		form.Set("name", adminName)
		form.Set("password", adminPassword)
		err = w.post(ctx, "/login", form, "/")
	}
	return w.b.r.check("log in as "+adminName+" through the login form (session cookie, CSRF token)", err)
}

// blueprintPath finds the edit page of the blueprint called bp on
// /blueprints.
func (w *panelWeb) blueprintPath(ctx context.Context, bp string) (string, error) {
	doc, err := w.page(ctx, "/blueprints")
	if err != nil {
		return "", err
	}
	var found []string
	doc.Find("a[href^='/blueprints/']").Each(func(_ int, s *goquery.Selection) {
		if strings.TrimSpace(s.Text()) == bp {
			href, _ := s.Attr("href")
			found = append(found, href)
		}
	})
	if len(found) != 1 {
		return "", fmt.Errorf("%d links to a blueprint %q on /blueprints", len(found), bp)
	}
	return found[0], nil
}

// setServerCfg saves text as the server.cfg of the blueprint bp through
// its edit form, keeping its other fields, and reads the form again to
// see it stored.
func (w *panelWeb) setServerCfg(ctx context.Context, bp, text string) bool {
	path, err := w.blueprintPath(ctx, bp)
	var form url.Values
	if err == nil {
		var doc *goquery.Document
		if doc, err = w.page(ctx, path); err == nil {
			form, err = formValues(doc, "form[data-testid=blueprint-form]")
		}
	}
	if err == nil {
		form.Set("server_cfg", text)
		err = w.post(ctx, path, form, path) // back to the blueprint's page
	}
	if err == nil {
		var doc *goquery.Document
		if doc, err = w.page(ctx, path); err == nil {
			if got := doc.Find("textarea[name=server_cfg]").Text(); got != text {
				err = fmt.Errorf("the form shows server.cfg %q after saving %q", got, text)
			}
		}
	}
	return w.b.r.check(fmt.Sprintf("POST %s (the blueprint form): blueprint %s's server.cfg is %q", path, bp, text), err)
}

// createBlueprint adds a blueprint through the new-blueprint form.
func (w *panelWeb) createBlueprint(ctx context.Context, bp, gameMap string, players int) bool {
	doc, err := w.page(ctx, "/blueprints/new")
	var form url.Values
	if err == nil {
		form, err = formValues(doc, "form[data-testid=blueprint-form]")
	}
	if err == nil {
		form.Set("name", bp)
		form.Set("map", gameMap)
		form.Set("game_mode", "coop")
		form.Set("max_players", strconv.Itoa(players))
		form.Set("args", "")
		form.Set("server_cfg", "")
		err = w.post(ctx, "/blueprints", form, "/blueprints")
	}
	return w.b.r.check(fmt.Sprintf("POST /blueprints (the new-blueprint form): blueprint %s, map %s, no server.cfg", bp, gameMap), err)
}
