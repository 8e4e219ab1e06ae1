package app

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/addons"
	"github.com/left4me/left4me/game"
	"github.com/left4me/left4me/jobs"
	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/views"
)

// WorkshopItems lists the Workshop items set holds (its
// addons/workshop/ID.vpk files), by id, and the newest active
// game-workshop job for it (nil if none).
func (s *Service) WorkshopItems(ctx context.Context, set string) ([]addons.File, *store.Job, error) {
	if s.addons == nil {
		return nil, nil, errNoAddons
	}
	files, err := s.addons.Files(ctx, set)
	if err != nil {
		return nil, nil, err
	}
	active, err := s.db.ListJobs(ctx, store.JobFilter{Game: true, Active: true, Limit: 100})
	if err != nil {
		return nil, nil, err
	}
	var job *store.Job
	for i := range active { // newest first
		if active[i].Operation != store.OpGameWorkshop {
			continue
		}
		if o, err := jobs.ParseWorkshopOptions(active[i].Options); err == nil && o.Set == set {
			job = &active[i]
			break
		}
	}
	return jobs.WorkshopItems(files), job, nil
}

// EnqueueWorkshop asks for a game-workshop job on behalf of by, an
// admin: download the items (Workshop ids or item addresses, "…?id=ID")
// into set, or with none, refresh every item it holds. Errors: 403 for a
// non-admin, store.ErrNotFound for no such set, FieldErrors for items
// that are no ids (or too many), store.ErrConflict when the backend
// cannot download Workshop items.
func (s *Service) EnqueueWorkshop(ctx context.Context, set string, items []string, refresh bool, by *store.User) (*store.Job, error) {
	if by == nil || by.Role != store.RoleAdmin {
		return nil, fiber.NewError(fiber.StatusForbidden, "Only an admin may download Workshop items.")
	}
	if s.addons == nil {
		return nil, errNoAddons
	}
	if !s.workshop {
		return nil, &store.Error{Kind: store.ErrConflict, Msg: "This panel's host backend cannot download Workshop items."}
	}
	if _, err := s.addons.Set(ctx, set); err != nil {
		return nil, err
	}
	var ids []string
	if !refresh {
		var err error
		if ids, err = workshopIDs(items); err != nil {
			return nil, FieldErrors{"items": err.Error()}
		}
	}
	return s.queue.EnqueueWorkshop(ctx, jobs.WorkshopOptions{Set: set, Items: ids}, by.ID)
}

// workshopIDs reads Workshop item ids from what a person typed: ids or
// the items' addresses (https://steamcommunity.com/sharedfiles/filedetails/?id=ID),
// each once, in the order given.
func workshopIDs(items []string) ([]string, error) {
	var ids []string
	seen := map[string]bool{}
	for _, it := range items {
		for _, tok := range strings.FieldsFunc(it, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' || r == '\t' }) {
			id := tok
			if u, err := url.Parse(tok); err == nil && u.Query().Get("id") != "" {
				id = u.Query().Get("id")
			}
			if !game.ValidWorkshopID(id) {
				return nil, fmt.Errorf("%q is neither a Workshop item id nor an item's address (…/filedetails/?id=123456789).", tok)
			}
			if !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
	}
	switch {
	case len(ids) == 0:
		return nil, fmt.Errorf("Give the ids or addresses of the Workshop items to download.")
	case len(ids) > jobs.MaxWorkshopItems:
		return nil, fmt.Errorf("%d items; at most %d in one go.", len(ids), jobs.MaxWorkshopItems)
	}
	return ids, nil
}

// addonWorkshop asks for the Workshop items of the form's items field
// to be downloaded into the set, and shows the job's page.
func (h *handlers) addonWorkshop(c *fiber.Ctx) error {
	return h.workshopAction(c, false)
}

// addonWorkshopRefresh asks for every Workshop item of the set to be
// downloaded again, and shows the job's page.
func (h *handlers) addonWorkshopRefresh(c *fiber.Ctx) error {
	return h.workshopAction(c, true)
}

func (h *handlers) workshopAction(c *fiber.Ctx, refresh bool) error {
	ctx, cancel := requestContext(c)
	defer cancel()
	job, err := h.svc.EnqueueWorkshop(ctx, c.Params("set"), []string{bodyFormValue(c, "items")}, refresh, currentUser(c))
	if fe, ok := err.(FieldErrors); ok {
		return fiber.NewError(fiber.StatusUnprocessableEntity, fe["items"])
	}
	if err != nil {
		return addonError(err)
	}
	return c.Redirect(jobURL(job.ID), fiber.StatusSeeOther)
}

// workshopSection is the set page's Workshop section.
func (h *handlers) workshopSection(ctx context.Context, set addons.Set) (templ.Component, error) {
	items, job, err := h.svc.WorkshopItems(ctx, set.Name)
	if err != nil {
		return nil, err
	}
	v := views.WorkshopView{Set: set.Name, Job: job, Supported: h.svc.workshop}
	for _, it := range items {
		v.Items = append(v.Items, views.WorkshopItem{ID: it.Path, Bytes: it.Bytes})
	}
	return views.WorkshopSection(v), nil
}
