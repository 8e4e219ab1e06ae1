package app

import (
	"errors"
	"fmt"

	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/store"
)

// apiServerCreateBody is the body of POST /api/v1/servers.
type apiServerCreateBody struct {
	Name  string `json:"name"`
	Title string `json:"title"`
	// Blueprint is a blueprint's name; empty means the default one.
	Blueprint string `json:"blueprint"`
	// Port is nil for the lowest free port of the range.
	Port *int `json:"port"`
}

// apiServerCreate creates a server (stopped) and answers 201 with it. A
// refusal is 422 with the fields; nothing is created then.
func (a *apiHandlers) apiServerCreate(c *fiber.Ctx) error {
	var body apiServerCreateBody
	if err := decodeBody(c, &body, true); err != nil {
		return err
	}
	in := ServerInput{Name: body.Name, Title: body.Title, Blueprint: body.Blueprint}
	if in.Blueprint == "" {
		in.Blueprint = store.DefaultBlueprintName
	}
	ctx, cancel := requestContext(c)
	defer cancel()
	if body.Port != nil && *body.Port == 0 {
		// 0 would mean "any port" to the service: refuse it as the web
		// refuses "0", with the other fields' errors beside it.
		errs, err := a.svc.ValidateServer(ctx, in)
		if err != nil {
			return err
		}
		if errs == nil {
			errs = FieldErrors{}
		}
		errs["port"] = fmt.Sprintf("Give a port from 1024 to 65535, or leave the port out for the lowest free one from %d.", a.PortRangeStart)
		return errs
	}
	if body.Port != nil {
		in.Port = *body.Port
	}
	srv, err := a.svc.CreateServer(ctx, in)
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
	c.Location("/api/v1/servers/" + srv.Name)
	return c.Status(fiber.StatusCreated).JSON(out[0])
}
