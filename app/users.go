package app

import (
	"fmt"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/internal/text"
	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/views"
)

// users lists the accounts. After a password reset or a disable
// (changeUser's redirect) it says what ended.
func (h *handlers) users(c *fiber.Ctx) error {
	return h.renderUsers(c, fiber.StatusOK, views.UsersView{})
}

// renderUsers draws the users page with v's form and row errors.
func (h *handlers) renderUsers(c *fiber.Ctx, status int, v views.UsersView) error {
	ctx, cancel := requestContext(c)
	defer cancel()
	us, err := h.DB.ListUsers(ctx)
	if err != nil {
		return err
	}
	v.Users = us
	v.NameWarnings = nameWarnings(us)
	if status == fiber.StatusOK {
		v.Notice = endedNotice(c, us)
	}
	return page(c, status, "Users", views.Users(v))
}

// endedNotice says what changeUser's redirect reports: whose access ended
// and how (the query's user, did, sessions and tokens), or "".
func endedNotice(c *fiber.Ctx, us []store.User) string {
	id, sessions, tokens := c.QueryInt("user"), c.QueryInt("sessions", -1), c.QueryInt("tokens", -1)
	if sessions < 0 || tokens < 0 {
		return ""
	}
	ended := fmt.Sprintf("%s ended and %s revoked.", count(sessions, "session"), count(tokens, "API token"))
	for _, u := range us {
		switch {
		case u.ID != int64(id):
		case c.Query("did") == "password":
			return fmt.Sprintf("The password of %s is set: %s", u.Name, ended)
		case c.Query("did") == "disabled":
			return fmt.Sprintf("%s is disabled: %s", u.Name, ended)
		}
	}
	return ""
}

// count is "1 thing" or "n things".
func count(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return strconv.Itoa(n) + " " + thing + "s"
}

// nameWarnings marks, by user id, the names today's rule would refuse:
// accounts made before it (migration 0005), kept working for an admin to
// judge. Each warning spells the name out in ASCII, since what the page
// shows is what the name pretends to be.
func nameWarnings(us []store.User) map[int64]string {
	holder := map[string]string{} // name key → the user holding it
	for _, u := range us {
		if u.NameKey != "" {
			holder[u.NameKey] = u.Name
		}
	}
	w := map[int64]string{}
	for _, u := range us {
		quoted := strconv.QuoteToASCII(u.Name)
		if u.NameKey == "" {
			w[u.ID] = fmt.Sprintf("This name, %s, looks like that of user %s: it differs only in case, spaces or invisible characters, and was made before such names were refused. Disable the account if it is not who it seems.",
				quoted, strconv.QuoteToASCII(holder[text.Fold(u.Name)]))
		} else if msg := text.Check(u.Name, text.Name, 0); msg != "" {
			w[u.ID] = fmt.Sprintf("This name, %s, was made before such names were refused: %s Disable the account if it is not who it seems.", quoted, msg)
		}
	}
	return w
}
