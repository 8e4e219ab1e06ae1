package app

import (
	"errors"
	"slices"
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
//
// The form carries the blueprint's add-on sets in order (one addon_sets
// field each, and addon_list to say the list is there). A button of the
// list (addon_op: "up:I", "down:I", "remove:I", "add" with addon_add)
// shows the form again with the list changed and saves nothing: the list
// works without JavaScript, and is saved with the rest.
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
	in.AddonSets, in.SetAddons = bodyFormValues(c, "addon_sets"), bodyFormValue(c, "addon_list") != ""
	ctx, cancel := requestContext(c)
	defer cancel()
	if op := bodyFormValue(c, "addon_op"); op != "" {
		in.AddonSets = editAddonList(in.AddonSets, op, bodyFormValue(c, "addon_add"))
		f.Message = "The add-on sets are changed in this form only: Save blueprint to keep them."
		return h.renderBlueprintForm(c, fiber.StatusOK, id, f, in.AddonSets)
	}
	_, err := h.svc.SaveBlueprint(ctx, id, in)
	var fe FieldErrors
	if errors.As(err, &fe) {
		f.Errors = fe
		return h.renderBlueprintForm(c, fiber.StatusUnprocessableEntity, id, f, in.AddonSets)
	}
	if err != nil {
		return err
	}
	if id != 0 {
		return c.Redirect("/blueprints/"+strconv.FormatInt(id, 10), fiber.StatusSeeOther)
	}
	return c.Redirect("/blueprints", fiber.StatusSeeOther)
}

// renderBlueprintForm shows the form of blueprint id (0: a new one) with
// f's values and errors and chosen as its add-on sets.
func (h *handlers) renderBlueprintForm(c *fiber.Ctx, status int, id int64, f views.Form, chosen []string) error {
	if id != 0 {
		return h.renderBlueprintEdit(c, status, id, f, chosen)
	}
	ctx, cancel := requestContext(c)
	defer cancel()
	list, err := h.addonList(ctx, chosen)
	if err != nil {
		return err
	}
	return page(c, status, "New blueprint", views.BlueprintForm(id, f, list))
}

// editAddonList is list after one of the form's list buttons: op is
// "up:I", "down:I" or "remove:I" for the set at index I, or "add" for
// the set add. An op that makes no sense changes nothing.
func editAddonList(list []string, op, add string) []string {
	list = slices.Clone(list)
	if op == "add" {
		if add != "" && !slices.Contains(list, add) {
			list = append(list, add)
		}
		return list
	}
	verb, n, _ := strings.Cut(op, ":")
	i, err := strconv.Atoi(n)
	if err != nil || i < 0 || i >= len(list) {
		return list
	}
	switch {
	case verb == "up" && i > 0:
		list[i-1], list[i] = list[i], list[i-1]
	case verb == "down" && i < len(list)-1:
		list[i], list[i+1] = list[i+1], list[i]
	case verb == "remove":
		list = slices.Delete(list, i, i+1)
	}
	return list
}

// argLines splits a textarea into arguments at white space, as the
// unit's launcher splits SRCDS_ARGS: "+sv_lan 0" on a line is two
// arguments. Quotes group nothing (the validation refuses them), so
// what is typed is what srcds receives.
func argLines(text string) []string {
	return strings.Fields(text)
}
