package app

import (
	"context"
	"errors"
	"net/url"

	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/addons"
	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/views"
)

// errNoAddons answers the add-on pages of a panel that keeps no sets.
var errNoAddons = fiber.NewError(fiber.StatusServiceUnavailable, "This panel keeps no add-on sets: it runs without a state root.")

// addons is the panel's add-on sets, or errNoAddons.
func (h *handlers) addons() (*addons.Manager, error) {
	if h.Addons == nil {
		return nil, errNoAddons
	}
	return h.Addons, nil
}

// addonSets lists the add-on sets with the blueprints using each, and
// the form that creates one.
func (h *handlers) addonSets(c *fiber.Ctx) error {
	return h.renderAddonSets(c, fiber.StatusOK, views.Form{})
}

func (h *handlers) renderAddonSets(c *fiber.Ctx, status int, f views.Form) error {
	m, err := h.addons()
	if err != nil {
		return err
	}
	ctx, cancel := requestContext(c)
	defer cancel()
	sets, err := m.Sets(ctx)
	if err != nil {
		return err
	}
	uses, err := h.blueprintUses(ctx)
	if err != nil {
		return err
	}
	vs := make([]views.AddonSet, len(sets))
	for i, s := range sets {
		vs[i] = addonSetView(s, uses)
	}
	return page(c, status, "Add-ons", views.AddonSets(vs, f))
}

// addonSetCreate makes an empty add-on set and goes to its page; a bad
// or taken name shows the list again with the error (422).
func (h *handlers) addonSetCreate(c *fiber.Ctx) error {
	m, err := h.addons()
	if err != nil {
		return err
	}
	name := bodyFormValue(c, "name")
	ctx, cancel := requestContext(c)
	defer cancel()
	_, err = m.CreateSet(ctx, name)
	if errors.Is(err, store.ErrInvalid) || errors.Is(err, store.ErrConflict) {
		return h.renderAddonSets(c, fiber.StatusUnprocessableEntity,
			views.Form{Values: map[string]string{"name": name}, Errors: map[string]string{"name": sentence(err.Error())}})
	}
	if err != nil {
		return err
	}
	h.setAddonFlash(c, "created", name, "")
	return c.Redirect(addonSetPath(name), fiber.StatusSeeOther)
}

// addonSetDelete removes an add-on set no blueprint lists (409 naming
// them otherwise) and returns to the list.
func (h *handlers) addonSetDelete(c *fiber.Ctx) error {
	m, err := h.addons()
	if err != nil {
		return err
	}
	ctx, cancel := requestContext(c)
	defer cancel()
	name := c.Params("set")
	if err := m.DeleteSet(ctx, name); err != nil {
		return addonError(err)
	}
	h.setAddonFlash(c, "deleted-set", name, "")
	return c.Redirect("/addon-sets", fiber.StatusSeeOther)
}

// addonError is err for a page: a store error keeps its kind, with its
// message as a sentence.
func addonError(err error) error {
	var se *store.Error
	if errors.As(err, &se) {
		return fiber.NewError(statusOf(err), sentence(se.Msg))
	}
	var ae *addons.ArchiveError
	if errors.As(err, &ae) {
		return fiber.NewError(fiber.StatusUnprocessableEntity, sentence(ae.Error()))
	}
	return err
}

// blueprintUses are the blueprints by name, each with how many of its
// servers are wanted running.
func (h *handlers) blueprintUses(ctx context.Context) (map[string]views.BlueprintUse, error) {
	bps, err := h.DB.ListBlueprints(ctx)
	if err != nil {
		return nil, err
	}
	servers, err := h.DB.ListServers(ctx)
	if err != nil {
		return nil, err
	}
	running := map[int64]int{}
	for _, s := range servers {
		if s.DesiredState == store.DesiredRunning {
			running[s.BlueprintID]++
		}
	}
	uses := make(map[string]views.BlueprintUse, len(bps))
	for _, b := range bps {
		uses[b.Name] = views.BlueprintUse{ID: b.ID, Name: b.Name, Running: running[b.ID]}
	}
	return uses, nil
}

// addonSetView is s as the pages show it.
func addonSetView(s addons.Set, uses map[string]views.BlueprintUse) views.AddonSet {
	v := views.AddonSet{Name: s.Name, Rev: int64(s.Rev), Files: s.Files, Bytes: s.Bytes, UpdatedAt: s.UpdatedAt}
	for _, name := range s.UsedBy {
		if u, ok := uses[name]; ok {
			v.UsedBy = append(v.UsedBy, u)
		}
	}
	return v
}

// addonSetPath is the page of set name.
func addonSetPath(name string) string { return "/addon-sets/" + url.PathEscape(name) }
