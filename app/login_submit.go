package app

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/views"
)

// loginSubmit checks a name and password and starts a session. Only
// failures count against the limits (limiter): LoginLimit a minute per
// client address, then 429 until the oldest leaves the minute; and per
// name, after LoginLimit failures in a minute one attempt every
// minute/LoginLimit. A browser that logged in as that name before (its
// device cookie) counts its failures on its own instead of on the name,
// so a flood of wrong passwords elsewhere does not slow the owner down.
// When no hashing slot comes free in time the answer is 503 with
// Retry-After, and the attempt does not count.
func (h *handlers) loginSubmit(c *fiber.Ctx) error {
	name := strings.TrimSpace(bodyFormValue(c, "name"))
	next := localPath(bodyFormValue(c, "next"), "/")
	form := views.Form{Values: map[string]string{"name": name}}
	ctx, cancel := requestContext(c)
	defer cancel()
	nameKey := limitKey{name: "user:" + nameDigest(name), slow: true}
	if device, ok := h.trustedDevice(ctx, c, name); ok {
		nameKey = limitKey{name: "device:" + device}
	}
	t, no := h.limiter.take(limitKey{name: "ip:" + c.IP()}, nameKey)
	if no != nil {
		setRetryAfter(c, no.wait)
		form.Message = "Too many failed logins from this address. Wait a minute, then try again."
		if no.key.slow {
			form.Message = fmt.Sprintf("Too many failed logins for this name lately. Try again in %d seconds.", seconds(no.wait))
		}
		return page(c, fiber.StatusTooManyRequests, "Log in", views.Login(form, next, false))
	}
	u, err := h.svc.Authenticate(ctx, name, bodyFormValue(c, "password"))
	if err != nil {
		t.giveBack() // the password was not checked
		if errors.Is(err, ErrBusy) {
			setRetryAfter(c, BusyRetryAfter)
			form.Message = sentence(ErrBusy.Error())
			return page(c, fiber.StatusServiceUnavailable, "Log in", views.Login(form, next, false))
		}
		return err
	}
	if u == nil {
		form.Message = "Wrong name or password (or the account is disabled)."
		return page(c, fiber.StatusUnauthorized, "Log in", views.Login(form, next, false))
	}
	t.giveBack() // a success does not count
	if err := h.logIn(c, u); err != nil {
		return err
	}
	h.setDeviceCookie(c, u)
	return c.Redirect(next, fiber.StatusSeeOther)
}

// nameDigest keys the limit of a login name: a digest, so that names of a
// megabyte do not take a megabyte each in the limiter.
func nameDigest(name string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(name)))
	return hex.EncodeToString(sum[:16])
}

// seconds is d in whole seconds, rounded up, at least 1.
func seconds(d time.Duration) int {
	return max(1, int((d+time.Second-1)/time.Second))
}

// setRetryAfter sets the Retry-After header to d in whole seconds.
func setRetryAfter(c *fiber.Ctx, d time.Duration) {
	c.Set(fiber.HeaderRetryAfter, strconv.Itoa(seconds(d)))
}
