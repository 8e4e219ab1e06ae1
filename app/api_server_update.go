package app

import (
	"errors"
	"fmt"

	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/store"
)

// apiServerUpdateBody is the body of PATCH /api/v1/servers/:name: the
// fields to change; a field left out keeps its value. The name stays.
type apiServerUpdateBody struct {
	Title *string `json:"title"`
	// Blueprint is a blueprint's name.
	Blueprint *string `json:"blueprint"`
	Port      *int    `json:"port"`
}

// apiServerUpdate changes a server's title, port or blueprint and
// answers 200 with it; restart_pending then says whether a restart is
// needed to apply the change. A refusal is 422 with the fields; nothing
// changes then.
func (a *apiHandlers) apiServerUpdate(c *fiber.Ctx) error {
	var body apiServerUpdateBody
	if err := decodeBody(c, &body, true); err != nil {
		return err
	}
	ctx, cancel := requestContext(c)
	defer cancel()
	srv, err := a.DB.GetServerByName(ctx, c.Params("name"))
	if err != nil {
		return err
	}
	in := ServerInput{Title: srv.Title, Port: srv.Port, BlueprintID: srv.BlueprintID}
	if body.Title != nil {
		in.Title = *body.Title
	}
	if body.Blueprint != nil {
		in.BlueprintID, in.Blueprint = 0, *body.Blueprint
		if in.Blueprint == "" {
			return FieldErrors{"blueprint": "Name a blueprint, or leave the field out to keep it."}
		}
	}
	if body.Port != nil {
		if *body.Port == 0 {
			return FieldErrors{"port": fmt.Sprintf("Give a port from 1024 to 65535, or leave the port out to keep %d.", srv.Port)}
		}
		in.Port = *body.Port
	}
	srv, err = a.svc.UpdateServer(ctx, srv.Name, in)
	var fe FieldErrors
	if errors.As(err, &fe) {
		return fe
	}
	if err != nil {
		return err
	}
	out, err := a.toAPIServers(ctx, []store.Server{*srv})
	if err != nil {
		return err
	}
	return c.JSON(out[0])
}
