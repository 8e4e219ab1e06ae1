package app

import (
	"context"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/addons"
	"github.com/left4me/left4me/views"
)

// addonSet shows an add-on set: the blueprints listing it, the upload,
// its files.
func (h *handlers) addonSet(c *fiber.Ctx) error {
	return h.renderAddonSet(c, fiber.StatusOK, views.Form{})
}

// renderAddonSet draws the page of the set in the path with up as the
// upload's and new file's form (values, errors, message).
func (h *handlers) renderAddonSet(c *fiber.Ctx, status int, up views.Form) error {
	m, err := h.addons()
	if err != nil {
		return err
	}
	ctx, cancel := requestContext(c)
	defer cancel()
	name := c.Params("set")
	set, err := m.Set(ctx, name)
	if err != nil {
		return addonError(err)
	}
	files, err := m.Files(ctx, name)
	if err != nil {
		return addonError(err)
	}
	uses, err := h.blueprintUses(ctx)
	if err != nil {
		return err
	}
	vf := make([]views.AddonFile, len(files))
	for i, f := range files {
		vf[i] = views.AddonFile{Path: f.Path, Bytes: f.Bytes, Editable: addons.Editable(f.Path, f.Bytes)}
	}
	extra, err := h.addonSetSections(ctx, set)
	if err != nil {
		return err
	}
	return page(c, status, "Add-on set "+name, views.AddonSetPage(addonSetView(set, uses), vf, up, m.MaxBytes(), extra))
}

// addonSetSections are the set page's sections after its files (the
// set's workshop items), nil for none.
func (h *handlers) addonSetSections(ctx context.Context, set addons.Set) (templ.Component, error) {
	return h.workshopSection(ctx, set)
}
