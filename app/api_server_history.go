package app

import (
	"github.com/gofiber/fiber/v2"
)

// apiServerHistory answers the newest 100 changes of the server's
// actual_state with their reasons, newest first.
func (a *apiHandlers) apiServerHistory(c *fiber.Ctx) error {
	ctx, cancel := requestContext(c)
	defer cancel()
	s, err := a.DB.GetServerByName(ctx, c.Params("name"))
	if err != nil {
		return err
	}
	hs, err := a.DB.ListServerHistory(ctx, s.ID, 100)
	if err != nil {
		return err
	}
	out := make([]apiHistoryEntry, len(hs))
	for i, h := range hs {
		out[i] = apiHistoryEntry{At: apiTime(h.At), OldState: string(h.OldState), NewState: string(h.NewState), Reason: h.Reason}
	}
	return c.JSON(fiber.Map{"server": s.Name, "history": out})
}
