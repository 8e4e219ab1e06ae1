package app

import (
	"errors"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/views"
)

// serverCreate creates a server from the form. Anything invalid shows the
// form again, as typed, with the errors beside their fields (422), and
// saves nothing.
func (h *handlers) serverCreate(c *fiber.Ctx) error {
	f := views.Form{Values: map[string]string{}, Errors: map[string]string{}}
	for _, k := range []string{"name", "title", "blueprint", "port"} {
		f.Values[k] = bodyFormValue(c, k)
	}
	in := ServerInput{Name: strings.TrimSpace(f.Values["name"]), Title: f.Values["title"]}
	in.BlueprintID, _ = strconv.ParseInt(f.Values["blueprint"], 10, 64)
	if p := strings.TrimSpace(f.Values["port"]); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n == 0 {
			f.Errors["port"] = "Enter a port number, or leave it empty."
		}
		in.Port = n
	}
	ctx, cancel := requestContext(c)
	defer cancel()
	if len(f.Errors) > 0 {
		errs, err := h.svc.ValidateServer(ctx, in)
		if err != nil {
			return err
		}
		for k, v := range errs {
			if k != "port" {
				f.Errors[k] = v
			}
		}
		return h.renderServerForm(c, fiber.StatusUnprocessableEntity, f)
	}
	srv, err := h.svc.CreateServer(ctx, in)
	var fe FieldErrors
	if errors.As(err, &fe) {
		f.Errors = fe
		return h.renderServerForm(c, fiber.StatusUnprocessableEntity, f)
	}
	if err != nil {
		return err
	}
	return c.Redirect("/servers/"+srv.Name, fiber.StatusSeeOther)
}
