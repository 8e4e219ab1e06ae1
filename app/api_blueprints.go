package app

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/store"
)

// apiBlueprint is one blueprint: what its servers run.
type apiBlueprint struct {
	Name       string   `json:"name"`
	Map        string   `json:"map"`
	GameMode   string   `json:"game_mode"`
	MaxPlayers int      `json:"max_players"`
	Args       []string `json:"args"`
	ServerCfg  string   `json:"server_cfg"`
	// AddonSets are its add-on sets, lowest first: a later one wins.
	AddonSets []string `json:"addon_sets"`
	// Servers are the servers using it, by name.
	Servers   []string   `json:"servers"`
	CreatedAt *time.Time `json:"created_at"`
	UpdatedAt *time.Time `json:"updated_at"`
}

// toAPIBlueprints turns bps into their API shape, with their add-on sets
// and servers.
func (a *apiHandlers) toAPIBlueprints(ctx context.Context, bps []store.Blueprint) ([]apiBlueprint, error) {
	servers, err := a.DB.ListServers(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]apiBlueprint, len(bps))
	for i, b := range bps {
		sets, err := a.svc.BlueprintAddons(ctx, b.ID)
		if err != nil {
			return nil, err
		}
		args := b.Args
		if args == nil {
			args = []string{}
		}
		out[i] = apiBlueprint{Name: b.Name, Map: b.Map, GameMode: b.GameMode, MaxPlayers: b.MaxPlayers, Args: args,
			ServerCfg: b.ServerCfg, AddonSets: sets, Servers: []string{},
			CreatedAt: apiTime(b.CreatedAt), UpdatedAt: apiTime(b.UpdatedAt)}
		for _, s := range servers {
			if s.BlueprintID == b.ID {
				out[i].Servers = append(out[i].Servers, s.Name)
			}
		}
	}
	return out, nil
}

// apiBlueprints lists the blueprints, by name.
func (a *apiHandlers) apiBlueprints(c *fiber.Ctx) error {
	ctx, cancel := requestContext(c)
	defer cancel()
	bps, err := a.DB.ListBlueprints(ctx)
	if err != nil {
		return err
	}
	out, err := a.toAPIBlueprints(ctx, bps)
	if err != nil {
		return err
	}
	return c.JSON(out)
}

// apiBlueprint answers one blueprint, by name.
func (a *apiHandlers) apiBlueprint(c *fiber.Ctx) error {
	ctx, cancel := requestContext(c)
	defer cancel()
	return a.answerBlueprint(ctx, c, c.Params("name"))
}

func (a *apiHandlers) answerBlueprint(ctx context.Context, c *fiber.Ctx, name string) error {
	b, err := a.DB.GetBlueprintByName(ctx, name)
	if err != nil {
		return err
	}
	out, err := a.toAPIBlueprints(ctx, []store.Blueprint{*b})
	if err != nil {
		return err
	}
	return c.JSON(out[0])
}

// apiBlueprintUpdateBody is the body of PATCH /api/v1/blueprints/:name:
// the fields to change; a field left out keeps its value.
type apiBlueprintUpdateBody struct {
	// AddonSets are the blueprint's add-on sets, lowest first; [] takes
	// them all off.
	AddonSets *[]string `json:"addon_sets"`
}

// apiBlueprintUpdate changes a blueprint and answers 200 with it. Its
// servers get the change at their next start (restart_pending on a
// running one). A refusal is 422 with the fields; nothing changes then.
func (a *apiHandlers) apiBlueprintUpdate(c *fiber.Ctx) error {
	var body apiBlueprintUpdateBody
	if err := decodeBody(c, &body, true); err != nil {
		return err
	}
	ctx, cancel := requestContext(c)
	defer cancel()
	b, err := a.DB.GetBlueprintByName(ctx, c.Params("name"))
	if err != nil {
		return err
	}
	if body.AddonSets != nil {
		if err := a.svc.SetBlueprintAddons(ctx, b.ID, *body.AddonSets); err != nil {
			return err
		}
	}
	return a.answerBlueprint(ctx, c, b.Name)
}
