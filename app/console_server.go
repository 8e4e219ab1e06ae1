package app

import (
	"context"

	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/views"
)

// serverHistoryCommands is how many console commands the server page's
// history shows beside its state changes.
const serverHistoryCommands = 20

// serverConsoleParts fills what the server page shows of the game over
// RCON: the player list, the bans, and the console commands for the
// history (interleaved there with the state changes: a history row is a
// change of state, which a command is not).
func (h *handlers) serverConsoleParts(ctx context.Context, s *store.Server, v *views.ServerView) error {
	var err error
	if v.Bans.Bans, err = h.DB.ListBans(ctx, s.ID); err != nil {
		return err
	}
	v.Bans.Server = s.Name
	if v.Commands, err = h.DB.ListRCONCommands(ctx, s.ID, serverHistoryCommands); err != nil {
		return err
	}
	v.Players = h.playersView(ctx, s)
	return nil
}
