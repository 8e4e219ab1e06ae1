package sudo

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/left4me/left4me/hostbackend"
)

var _ hostbackend.Workshop = (*Backend)(nil)

// workshopDir is where steamcmd downloads Workshop items
// (+force_install_dir), beside the game's builds.
func (b *Backend) workshopDir() string { return filepath.Join(b.files.Root, "workshop") }

// WorkshopDownload implements hostbackend.Workshop with steamcmd under a
// pseudo-terminal, as the panel's user and with the game's Steam login.
func (b *Backend) WorkshopDownload(ctx context.Context, id string, ev hostbackend.GameEvents) (io.ReadCloser, int64, error) {
	s := b.steam(b.workshopDir())
	path, err := s.WorkshopDownload(ctx, gameHooks(ev), id)
	if err != nil {
		return nil, 0, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, fmt.Errorf("read Workshop item %s: %w", id, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("read Workshop item %s: %w", id, err)
	}
	return &removeOnClose{File: f, dir: s.WorkshopDir(id)}, fi.Size(), nil
}

// removeOnClose removes the item's download directory when the reader
// is closed.
type removeOnClose struct {
	*os.File
	dir string
}

func (r *removeOnClose) Close() error {
	err := r.File.Close()
	if rerr := os.RemoveAll(r.dir); err == nil {
		err = rerr
	}
	return err
}
