package app

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/views"
)

// blueprintEdit shows a blueprint's form and the servers using it.
func (h *handlers) blueprintEdit(c *fiber.Ctx) error {
	id, err := c.ParamsInt("id")
	if err != nil || id <= 0 {
		return fiber.ErrNotFound
	}
	ctx, cancel := requestContext(c)
	defer cancel()
	b, err := h.DB.GetBlueprint(ctx, int64(id))
	if err != nil {
		return err
	}
	chosen, err := h.svc.BlueprintAddons(ctx, b.ID)
	if err != nil {
		return err
	}
	return h.renderBlueprintEdit(c, fiber.StatusOK, b.ID, views.Form{Values: views.BlueprintFormValues(b)}, chosen)
}

// renderBlueprintEdit draws blueprint id's form with f's values and
// errors and chosen as its add-on sets, and the servers using it.
func (h *handlers) renderBlueprintEdit(c *fiber.Ctx, status int, id int64, f views.Form, chosen []string) error {
	ctx, cancel := requestContext(c)
	defer cancel()
	servers, err := h.svc.BlueprintServers(ctx, id)
	if err != nil {
		return err
	}
	list, err := h.addonList(ctx, chosen)
	if err != nil {
		return err
	}
	return page(c, status, "Blueprint "+f.Get("name"), views.BlueprintEdit(id, f, list, servers))
}

// addonList is a blueprint form's add-on list: chosen, in order, among
// every set there is.
func (h *handlers) addonList(ctx context.Context, chosen []string) (views.AddonList, error) {
	list := views.AddonList{Chosen: chosen}
	if h.Addons == nil {
		return list, nil
	}
	sets, err := h.Addons.Sets(ctx)
	if err != nil {
		return list, err
	}
	for _, s := range sets {
		list.All = append(list.All, s.Name)
	}
	return list, nil
}
