package hostbackend

import (
	"context"
	"io"
)

// Workshop is the host side of Steam Workshop items, a capability a
// Backend may have beside its methods: a job downloads Left 4 Dead 2's
// items with it and puts them into add-on sets. Downloads run steamcmd,
// so the job queue runs them one at a time with the game's jobs.
type Workshop interface {
	// WorkshopDownload downloads Workshop item id (digits) and returns
	// its .vpk to read and its size; closing it removes the download.
	// Output and progress go to ev; an error is a sentence for the user.
	WorkshopDownload(ctx context.Context, id string, ev GameEvents) (io.ReadCloser, int64, error)
}
