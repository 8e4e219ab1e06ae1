package app

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/store"
)

// userRole sets a user's role; the last enabled admin stays admin.
func (h *handlers) userRole(c *fiber.Ctx) error {
	role := store.Role(bodyFormValue(c, "role"))
	if role != store.RoleAdmin && role != store.RoleOperator {
		return fiber.NewError(fiber.StatusUnprocessableEntity, "Choose admin or operator.")
	}
	return h.changeUser(c, "role-"+string(role), func(ctx context.Context, id int64) (store.Ended, error) {
		return store.Ended{}, h.svc.SetUserRole(ctx, id, role)
	})
}
