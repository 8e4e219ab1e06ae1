package addons

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// MaxBytes is the most one set may hold (Options.MaxBytes).
func (m *Manager) MaxBytes() int64 { return m.opts.MaxBytes }

// TempFile returns a new file without a name in Root/addons, on the file
// system of the sets: a place to keep an upload (an archive to extract)
// that disappears when it is closed, or when the process dies.
func (m *Manager) TempFile() (*os.File, error) {
	fd, err := unix.Open(m.dir, unix.O_TMPFILE|unix.O_RDWR|unix.O_CLOEXEC, 0o600)
	if err == nil {
		return os.NewFile(uintptr(fd), m.dir+"/(upload)"), nil
	}
	// A file system without O_TMPFILE: a named file, unlinked at once.
	f, err := os.CreateTemp(m.dir, ".upload-*")
	if err != nil {
		return nil, fmt.Errorf("keep an upload: %w", err)
	}
	if err := os.Remove(f.Name()); err != nil {
		f.Close()
		return nil, fmt.Errorf("keep an upload: %w", err)
	}
	return f, nil
}
