package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/views"
)

// Cookie names. The session cookie holds the session token, whose SHA-256
// is the session's id in the database. The CSRF cookie holds the
// double-submit token of a browser that is not logged in (for /login and
// /setup), signed by the panel (newPreSessionToken); a logged-in browser
// uses its session's token.
const (
	sessionCookie = "left4me_session"
	csrfCookie    = "left4me_csrf"
)

// Keys of c.Locals.
const (
	localUser    = "user"
	localSession = "session"
	localCSRF    = "csrf"
)

// sessionID is what the database stores for a session token.
func sessionID(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// session loads the browser's session and user, if any, and the CSRF
// token every form of the page carries. A disabled user's session does
// not count.
func (h *handlers) session(c *fiber.Ctx) error {
	v := views.Viewer{Simulated: h.Simulated, Now: h.Now()}
	if tok := c.Cookies(sessionCookie); tok != "" {
		s, u, err := h.lookupSession(c.UserContext(), tok)
		switch {
		case err == nil:
			c.Locals(localUser, u)
			c.Locals(localSession, s)
			v.User, v.CSRF = u, s.CSRFToken
		case errors.Is(err, store.ErrNotFound):
			h.clearCookie(c, sessionCookie)
		default:
			return err
		}
	}
	if v.User != nil && v.User.Role == store.RoleAdmin {
		v.Problems = h.bannerProblems()
		v.Source = h.sourceLine()
	}
	if v.User == nil {
		tok := c.Cookies(csrfCookie)
		if !h.validPreSessionToken(tok) {
			tok = h.newPreSessionToken()
			h.setCookie(c, csrfCookie, tok, time.Time{})
		}
		v.CSRF = tok
	}
	if v.User != nil {
		v.Flash = h.takeFlash(c)
	}
	c.Locals(localCSRF, v.CSRF)
	c.SetUserContext(views.WithViewer(c.UserContext(), v))
	return c.Next()
}

// lookupSession returns the live session of token and its enabled user,
// or an error matching store.ErrNotFound.
func (h *handlers) lookupSession(ctx context.Context, token string) (*store.Session, *store.User, error) {
	id := sessionID(token)
	if s, u, ok := h.sessions.get(id); ok {
		return s, u, nil
	}
	gen, at := h.sessions.begin()
	s, err := h.DB.GetSession(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	u, err := h.DB.GetUser(ctx, s.UserID)
	if err != nil {
		return nil, nil, err
	}
	if u.Disabled {
		return nil, nil, &store.Error{Kind: store.ErrNotFound, Msg: "the account is disabled"}
	}
	h.sessions.put(id, s, u, gen, at)
	return s, u, nil
}

// logIn starts a new session for u (a new id every time, so a session id
// planted before the login is worthless), ends the browser's old one, and
// sets the cookie.
func (h *handlers) logIn(c *fiber.Ctx, u *store.User) error {
	ctx, cancel := requestContext(c)
	defer cancel()
	if old := c.Cookies(sessionCookie); old != "" {
		if err := h.DB.DeleteSession(ctx, sessionID(old)); err != nil {
			return err
		}
	}
	// Bookkeeping: the login goes on without it.
	if now := h.Now(); h.svc.bookkeeping.due(now) {
		if n, err := h.DB.DeleteExpiredSessions(ctx, now); (n > 0 || err != nil) && ctx.Err() == nil {
			h.svc.bookkeeping.note("delete expired sessions", now, err)
		}
	}
	token := randomToken()
	expires := h.Now().Add(h.SessionTTL)
	s := &store.Session{ID: sessionID(token), UserID: u.ID, CSRFToken: randomToken(), ExpiresAt: store.NewTime(expires)}
	if err := h.DB.CreateSession(ctx, s); err != nil {
		return err
	}
	h.setCookie(c, sessionCookie, token, expires)
	return nil
}

// setCookie sets an HttpOnly, SameSite=Lax cookie for the whole panel; a
// zero expiry makes it last until the browser closes.
func (h *handlers) setCookie(c *fiber.Ctx, name, value string, expires time.Time) {
	c.Cookie(&fiber.Cookie{
		Name: name, Value: value, Path: "/", Expires: expires,
		HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode, Secure: h.SecureCookies,
	})
}

func (h *handlers) clearCookie(c *fiber.Ctx, name string) {
	c.Cookie(&fiber.Cookie{
		Name: name, Value: "", Path: "/", Expires: time.Unix(1, 0), MaxAge: -1,
		HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode, Secure: h.SecureCookies,
	})
}

// currentUser is the logged-in user, or nil.
func currentUser(c *fiber.Ctx) *store.User {
	u, _ := c.Locals(localUser).(*store.User)
	return u
}
