package game_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/left4me/left4me/game"
)

// A job installs the game and reports what steamcmd does as it goes.
func ExampleSteam_Install() {
	s := game.New(game.Options{Dir: "/var/lib/left4me/game", SteamCMD: "/usr/games/steamcmd"})
	m, err := s.Install(context.Background(), game.Hooks{
		Line: func(line string) { log.Print(line) },
		Progress: func(p game.Progress) {
			log.Printf("pass %d of %d: %s %.1f%% (%d of %d bytes)", p.Pass, p.Passes, p.Phase, p.Percent, p.Done, p.Total)
		},
		Answer: func(ctx context.Context, p game.Prompt) (string, error) {
			// Show an input field for p.What() and wait for the user.
			return "", errors.New("nobody to ask")
		},
	})
	var f *game.Failure
	switch {
	case errors.As(err, &f):
		fmt.Println(f) // a sentence with the fix
	case err != nil:
		fmt.Println("cancelled:", err)
	default:
		fmt.Println("build", m.BuildID)
	}
}
