package app

import (
	"errors"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/console"
	"github.com/left4me/left4me/views"
)

// serverBanNew is the ban form on a page of its own, filled in from the
// query (the player list's Ban… link: steam_id and name).
func (h *handlers) serverBanNew(c *fiber.Ctx) error {
	ctx, cancel := requestContext(c)
	defer cancel()
	s, err := h.DB.GetServerByName(ctx, c.Params("name"))
	if err != nil {
		return err
	}
	f := views.Form{Values: map[string]string{"steam_id": c.Query("steam_id"), "name": c.Query("name")}}
	return page(c, fiber.StatusOK, "Ban · "+title(s), views.BanPage(s.Name, f))
}

// banExpiry is when a ban given for the form's duration (a value of
// views.BanDurations) ends: zero for ever; ok false for a value the form
// does not offer.
func banExpiry(duration string, now time.Time) (end time.Time, ok bool) {
	for _, d := range views.BanDurations {
		if d.Value == duration {
			if d.For == 0 {
				return time.Time{}, true
			}
			return now.Add(d.For), true
		}
	}
	return time.Time{}, false
}

// serverBanCreate bans a Steam ID from the server (applied at once when
// it runs) and goes back to the server page, which says how it applied.
// A refusal shows the form again with what is wrong (422, or 409 when the
// player is banned already); nothing changes then.
func (h *handlers) serverBanCreate(c *fiber.Ctx) error {
	ctx, cancel := requestContext(c)
	defer cancel()
	s, err := h.DB.GetServerByName(ctx, c.Params("name"))
	if err != nil {
		return err
	}
	f := views.Form{Values: map[string]string{}, Errors: map[string]string{}}
	for _, k := range []string{"steam_id", "name", "reason", "duration"} {
		f.Values[k] = bodyFormValue(c, k)
	}
	end, ok := banExpiry(f.Values["duration"], h.Now())
	if !ok {
		f.Errors["duration"] = "Choose how long the ban lasts from the list."
		return page(c, fiber.StatusUnprocessableEntity, "Ban · "+title(s), views.BanPage(s.Name, f))
	}
	_, applied, err := h.console.Ban(ctx, s, actor(c), console.NewBan{SteamID: f.Values["steam_id"],
		PlayerName: f.Values["name"], Reason: f.Values["reason"], Expires: end})
	if err != nil {
		status := consoleStatus(err)
		if status == fiber.StatusInternalServerError || status == fiber.StatusBadGateway {
			return err
		}
		msg := err.Error()
		switch {
		case errors.Is(err, console.ErrInvalid):
			f.Errors["steam_id"] = msg
		case strings.HasPrefix(msg, "Reason: "):
			f.Errors["reason"] = strings.TrimPrefix(msg, "Reason: ")
		case strings.HasPrefix(msg, "Player name: "):
			f.Errors["name"] = strings.TrimPrefix(msg, "Player name: ")
		default:
			f.Message = sentence(msg)
		}
		return page(c, status, "Ban · "+title(s), views.BanPage(s.Name, f))
	}
	h.setConsoleFlash(c, banFlash(true, applied), strings.TrimSpace(f.Values["steam_id"]))
	return c.Redirect("/servers/"+s.Name, fiber.StatusSeeOther)
}

// serverUnban lifts the ban of the form's steam_id (removeid when the
// server runs) and goes back to the server page.
func (h *handlers) serverUnban(c *fiber.Ctx) error {
	ctx, cancel := requestContext(c)
	defer cancel()
	s, err := h.DB.GetServerByName(ctx, c.Params("name"))
	if err != nil {
		return err
	}
	id := bodyFormValue(c, "steam_id")
	applied, err := h.console.Unban(ctx, s, actor(c), id)
	if err != nil {
		return err
	}
	h.setConsoleFlash(c, banFlash(false, applied), id)
	return c.Redirect("/servers/"+s.Name, fiber.StatusSeeOther)
}
