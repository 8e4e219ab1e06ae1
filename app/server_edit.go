package app

import (
	"errors"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/views"
)

// serverEdit shows the form that changes a server's title, port and
// blueprint.
func (h *handlers) serverEdit(c *fiber.Ctx) error {
	ctx, cancel := requestContext(c)
	defer cancel()
	s, err := h.DB.GetServerByName(ctx, c.Params("name"))
	if err != nil {
		return err
	}
	f := views.Form{Values: map[string]string{
		"title": s.Title, "port": strconv.Itoa(s.Port), "blueprint": strconv.FormatInt(s.BlueprintID, 10),
	}}
	return h.renderServerEdit(c, fiber.StatusOK, s, f)
}

// serverUpdate saves the edit form and returns to the server's page,
// which confirms it (and says when a restart applies it). Anything
// invalid shows the form again (at its own address, so a reload shows it
// too), as typed, with the errors beside their fields (422), and changes
// nothing.
func (h *handlers) serverUpdate(c *fiber.Ctx) error {
	ctx, cancel := requestContext(c)
	defer cancel()
	s, err := h.DB.GetServerByName(ctx, c.Params("name"))
	if err != nil {
		return err
	}
	f := views.Form{Values: map[string]string{}, Errors: map[string]string{}}
	for _, k := range []string{"title", "blueprint", "port"} {
		f.Values[k] = bodyFormValue(c, k)
	}
	in := ServerInput{Title: f.Values["title"]}
	in.BlueprintID, _ = strconv.ParseInt(f.Values["blueprint"], 10, 64)
	n, err := strconv.Atoi(strings.TrimSpace(f.Values["port"]))
	if err != nil || n == 0 {
		// 0 would keep the port: refuse it, with the other fields' errors.
		f.Errors["port"] = "Enter a port number from 1024 to 65535."
		n = s.Port
	}
	in.Port = n
	if len(f.Errors) > 0 {
		in.ID, in.Name = s.ID, s.Name
		errs, err := h.svc.ValidateServer(ctx, in)
		if err != nil {
			return err
		}
		for k, v := range errs {
			if k != "port" && k != "name" {
				f.Errors[k] = v
			}
		}
		return h.renderServerEdit(c, fiber.StatusUnprocessableEntity, s, f)
	}
	saved, err := h.svc.UpdateServer(ctx, s.Name, in)
	var fe FieldErrors
	if errors.As(err, &fe) {
		f.Errors = fe
		return h.renderServerEdit(c, fiber.StatusUnprocessableEntity, s, f)
	}
	if err != nil {
		return err
	}
	pending := false
	if bp, err := h.DB.GetBlueprint(ctx, saved.BlueprintID); err == nil {
		pending = saved.RestartPending(bp)
	}
	h.setSavedFlash(c, saved.Name, pending)
	return c.Redirect("/servers/"+s.Name, fiber.StatusSeeOther)
}

// renderServerEdit draws the edit form of s with f's values and errors.
func (h *handlers) renderServerEdit(c *fiber.Ctx, status int, s *store.Server, f views.Form) error {
	ctx, cancel := requestContext(c)
	defer cancel()
	bps, err := h.DB.ListBlueprints(ctx)
	if err != nil {
		return err
	}
	return page(c, status, "Edit "+s.Name, views.ServerEdit(s.Name, f, bps))
}
