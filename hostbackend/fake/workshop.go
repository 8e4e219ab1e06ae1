package fake

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/left4me/left4me/hostbackend"
)

var _ hostbackend.Workshop = (*Backend)(nil)

// workshopSize is a simulated Workshop item's size.
const workshopSize = 64 << 10

// FailWorkshopItem makes every later download of item id fail as Steam
// refuses an item it does not have; "" undoes it.
func (b *Backend) FailWorkshopItem(id string) {
	b.mu.Lock()
	b.game.missingItem = id
	b.mu.Unlock()
}

// WorkshopItem returns the bytes WorkshopDownload gives for item id: a
// VPK signature, then a line naming the item, to workshopSize bytes.
func WorkshopItem(id string) []byte {
	body := []byte{0x34, 0x12, 0xaa, 0x55}
	line := []byte("simulated workshop item " + id + "\n")
	for len(body) < workshopSize {
		body = append(body, line...)
	}
	return body[:workshopSize]
}

// WorkshopDownload implements hostbackend.Workshop: steamcmd-shaped
// lines, a progress report per GameStepDelay step, then the simulated
// item.
func (b *Backend) WorkshopDownload(ctx context.Context, id string, ev hostbackend.GameEvents) (io.ReadCloser, int64, error) {
	b.mu.Lock()
	b.calls = append(b.calls, Call{Verb: "workshop-download", Names: []string{id}})
	missing := b.game.missingItem
	b.mu.Unlock()
	ev.EmitLine(hostbackend.Stdout, "Logging in user 'anonymous' to Steam Public...OK")
	ev.EmitLine(hostbackend.Stdout, fmt.Sprintf("Downloading item %s ...", id))
	if id == "" || id == missing {
		ev.EmitLine(hostbackend.Stdout, fmt.Sprintf("ERROR! Download item %s failed (File Not Found).", id))
		return nil, 0, errors.New("Steam did not give Workshop item " + id + " (File Not Found). Check the id.")
	}
	for i := 1; i <= 4; i++ {
		ev.EmitProgress(hostbackend.GameProgress{Phase: "downloading item " + id, Percent: float64(i) * 25,
			Done: int64(i) * workshopSize / 4, Total: workshopSize})
		if err := b.gameStep(ctx); err != nil {
			return nil, 0, err
		}
	}
	ev.EmitLine(hostbackend.Stdout, fmt.Sprintf(`Success. Downloaded item %s to "/var/lib/left4me/workshop/steamapps/workshop/content/550/%s" (%d bytes)`, id, id, workshopSize))
	return io.NopCloser(bytes.NewReader(WorkshopItem(id))), workshopSize, nil
}
