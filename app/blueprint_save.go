package app

import (
	"errors"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/views"
)

// blueprintSave creates a blueprint (POST /blueprints, then back to the
// list) or updates one (POST /blueprints/:id, then back to its page,
// where the servers using it can be restarted). Anything invalid shows
// the form again as typed, with the errors beside their fields (422), and
// saves nothing.
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
		if id != 0 {
			return h.renderBlueprintEdit(c, fiber.StatusUnprocessableEntity, id, f)
		}
		return page(c, fiber.StatusUnprocessableEntity, "New blueprint", views.BlueprintForm(id, f))
	}
	if err != nil {
		return err
	}
	if id != 0 {
		return c.Redirect("/blueprints/"+strconv.FormatInt(id, 10), fiber.StatusSeeOther)
	}
	return c.Redirect("/blueprints", fiber.StatusSeeOther)
}

// argLines splits a textarea into arguments at white space, as the
// unit's launcher splits SRCDS_ARGS: "+sv_lan 0" on a line is two
// arguments. Quotes group nothing (the validation refuses them), so
// what is typed is what srcds receives.
func argLines(text string) []string {
	return strings.Fields(text)
}
