package app

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/addons"
	"github.com/left4me/left4me/store"
)

// apiAddonSet is one add-on set at its current revision.
type apiAddonSet struct {
	Name string `json:"name"`
	// Revision is the set's current revision: every change makes a new one.
	Revision int   `json:"revision"`
	Files    int   `json:"files"`
	Bytes    int64 `json:"bytes"`
	// UsedBy are the blueprints listing the set, by name.
	UsedBy    []string   `json:"used_by"`
	CreatedAt *time.Time `json:"created_at"`
	UpdatedAt *time.Time `json:"updated_at"`
}

// apiAddonFile is one file of a set.
type apiAddonFile struct {
	// Path is relative to the game's left4dead2/ directory.
	Path  string `json:"path"`
	Bytes int64  `json:"bytes"`
}

func toAPIAddonSet(s addons.Set) apiAddonSet {
	used := s.UsedBy
	if used == nil {
		used = []string{}
	}
	return apiAddonSet{Name: s.Name, Revision: s.Rev, Files: s.Files, Bytes: s.Bytes, UsedBy: used,
		CreatedAt: apiTime(store.NewTime(s.CreatedAt)), UpdatedAt: apiTime(store.NewTime(s.UpdatedAt))}
}

// apiAddonSets lists the add-on sets, by name.
func (a *apiHandlers) apiAddonSets(c *fiber.Ctx) error {
	m, err := a.addons()
	if err != nil {
		return err
	}
	ctx, cancel := requestContext(c)
	defer cancel()
	sets, err := m.Sets(ctx)
	if err != nil {
		return err
	}
	out := make([]apiAddonSet, len(sets))
	for i, s := range sets {
		out[i] = toAPIAddonSet(s)
	}
	return c.JSON(out)
}

// apiAddonSetCreateBody is the body of POST /api/v1/addon-sets.
type apiAddonSetCreateBody struct {
	Name string `json:"name"`
}

// apiAddonSetCreate makes an empty add-on set: 201 with it, 422 for a
// name breaking the rule, 409 for a taken one.
func (a *apiHandlers) apiAddonSetCreate(c *fiber.Ctx) error {
	m, err := a.addons()
	if err != nil {
		return err
	}
	var body apiAddonSetCreateBody
	if err := decodeBody(c, &body, true); err != nil {
		return err
	}
	ctx, cancel := requestContext(c)
	defer cancel()
	s, err := m.CreateSet(ctx, body.Name)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(toAPIAddonSet(s))
}

// apiAddonSet answers one add-on set.
func (a *apiHandlers) apiAddonSet(c *fiber.Ctx) error {
	return a.answerAddonSet(c, fiber.StatusOK, func(ctx context.Context, m *addons.Manager, set string) error { return nil })
}

// apiAddonSetDelete removes a set no blueprint lists (409 naming them
// otherwise): 204.
func (a *apiHandlers) apiAddonSetDelete(c *fiber.Ctx) error {
	m, err := a.addons()
	if err != nil {
		return err
	}
	ctx, cancel := requestContext(c)
	defer cancel()
	if err := m.DeleteSet(ctx, c.Params("set")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// answerAddonSet runs change on the set of the path (nil: none), then
// answers the set as it is with status.
func (a *apiHandlers) answerAddonSet(c *fiber.Ctx, status int, change func(ctx context.Context, m *addons.Manager, set string) error) error {
	m, err := a.addons()
	if err != nil {
		return err
	}
	ctx, cancel := changeContext(c)
	defer cancel()
	set := c.Params("set")
	if err := change(ctx, m, set); err != nil {
		return err
	}
	s, err := m.Set(ctx, set)
	if err != nil {
		return err
	}
	return c.Status(status).JSON(toAPIAddonSet(s))
}
