package app

import (
	"errors"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/views"
)

// blueprintSave creates a blueprint (POST /blueprints) or updates one
// (POST /blueprints/:id). Anything invalid shows the form again as typed,
// with the errors beside their fields (422), and saves nothing.
func (h *handlers) blueprintSave(c *fiber.Ctx) error {
	var id int64
	if c.Params("id") != "" {
		n, err := c.ParamsInt("id")
		if err != nil || n <= 0 {
			return fiber.ErrNotFound
		}
		id = int64(n)
	}
	f := views.Form{Values: map[string]string{}, Errors: map[string]string{}}
	for _, k := range []string{"name", "map", "game_mode", "max_players", "args", "server_cfg"} {
		f.Values[k] = bodyFormValue(c, k)
	}
	in := BlueprintInput{
		Name: f.Values["name"], Map: strings.TrimSpace(f.Values["map"]), GameMode: strings.TrimSpace(f.Values["game_mode"]),
		Args: argLines(f.Values["args"]), ServerCfg: strings.ReplaceAll(f.Values["server_cfg"], "\r\n", "\n"),
	}
	in.MaxPlayers, _ = strconv.Atoi(strings.TrimSpace(f.Values["max_players"]))
	ctx, cancel := requestContext(c)
	defer cancel()
	_, err := h.svc.SaveBlueprint(ctx, id, in)
	var fe FieldErrors
	if errors.As(err, &fe) {
		f.Errors = fe
		return page(c, fiber.StatusUnprocessableEntity, "Blueprint", views.BlueprintForm(id, f))
	}
	if err != nil {
		return err
	}
	return c.Redirect("/blueprints", fiber.StatusSeeOther)
}

// argLines splits a textarea into arguments: one a line, surrounding
// blanks and empty lines dropped. Blanks inside a line stay, so the
// validation can refuse them.
func argLines(text string) []string {
	var args []string
	for _, l := range strings.Split(text, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			args = append(args, l)
		}
	}
	return args
}
