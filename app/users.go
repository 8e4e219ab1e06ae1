package app

import (
	"fmt"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/internal/text"
	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/views"
)

// users lists the accounts. What the last change did is the page's
// flash (setUserFlash).
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
	if u := currentUser(c); u != nil {
		v.Self = u.ID
	}
	return page(c, status, "Users", views.Users(v))
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
