package addons

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/left4me/left4me/internal/bytesize"
	"github.com/left4me/left4me/store"
)

// Change is a change of one set in the making: a hard-link clone of the
// set's current revision (the staging directory) that becomes its next
// revision when the function given to Update returns nil. A file is
// never written in place (its inode is shared with older revisions): a
// new file replaces its name. A Change is used only inside that function.
type Change struct {
	ctx   context.Context
	m     *Manager
	set   string
	root  int   // the staging revision's left4dead2/ directory
	bytes int64 // what the staged tree holds now
	files int
	buf   []byte // fill's, one for all the files of a change
}

// Update applies fn to a clone of set name and makes the result the
// set's new current revision: written, fsynced, then swapped in. When fn
// (or anything on the way) fails, the set is unchanged and the error is
// returned. Changes to one set run one at a time. Errors match
// store.ErrNotFound for a set that does not exist.
func (m *Manager) Update(ctx context.Context, name string, fn func(*Change) error) (Set, error) {
	if checkName(name) != nil {
		return Set{}, notFound("add-on set %q does not exist", name)
	}
	defer m.lock(name)()
	r, err := m.row(ctx, m.db.Reader(), name)
	if err != nil {
		return Set{}, err
	}
	setDir := filepath.Join(m.dir, name)
	staging := filepath.Join(setDir, "staging")
	// A staging directory left by a crash is no revision; start afresh.
	if err := os.RemoveAll(staging); err != nil {
		return Set{}, fmt.Errorf("change add-on set %s: %w", name, err)
	}
	if err := os.MkdirAll(filepath.Join(staging, "left4dead2"), dirMode); err != nil {
		return Set{}, fmt.Errorf("change add-on set %s: %w", name, err)
	}
	swapped := false
	defer func() {
		if !swapped {
			os.RemoveAll(staging)
		}
	}()
	c := &Change{ctx: ctx, m: m, set: name}
	if err := c.stage(m.Dir(name, r.Rev), staging); err != nil {
		return Set{}, err
	}
	err = fn(c)
	unix.Close(c.root)
	if err != nil {
		return Set{}, err
	}
	if err := ctx.Err(); err != nil {
		return Set{}, err
	}
	sfd, err := openDir(staging)
	if err == nil {
		err = m.syncDirs(sfd)
		unix.Close(sfd)
	}
	if err != nil {
		return Set{}, fmt.Errorf("change add-on set %s: %w", name, err)
	}
	next, err := m.nextRev(name, r.Rev)
	if err != nil {
		return Set{}, fmt.Errorf("change add-on set %s: %w", name, err)
	}
	revDir := m.Dir(name, next)
	if err := os.MkdirAll(filepath.Dir(revDir), dirMode); err != nil {
		return Set{}, fmt.Errorf("change add-on set %s: %w", name, err)
	}
	if err := os.Rename(staging, revDir); err != nil {
		return Set{}, fmt.Errorf("change add-on set %s: %w", name, err)
	}
	swapped = true
	if err := m.syncPath(filepath.Dir(revDir)); err != nil {
		os.RemoveAll(revDir)
		return Set{}, fmt.Errorf("change add-on set %s: %w", name, err)
	}
	// The swap: the row names the new revision. Until this commits the
	// new directory is no revision anyone resolves (GC removes it after
	// a crash here).
	// A request that goes away now no longer stops the change.
	now := store.NewTime(m.db.Now())
	swap := context.WithoutCancel(ctx)
	res, err := m.db.Writer().NewRaw(`UPDATE addon_sets SET rev = ?, bytes = ?, files = ?, updated_at = ? WHERE id = ? AND rev = ?`,
		next, c.bytes, c.files, now, r.ID, r.Rev).Exec(swap)
	if err == nil {
		var n int64
		if n, err = res.RowsAffected(); err == nil && n != 1 {
			err = errors.New("the set changed meanwhile")
		}
	}
	if err != nil {
		// Unless the row says otherwise, the new revision is none.
		if after, rerr := m.row(swap, m.db.Writer(), name); rerr != nil || after.Rev != next {
			os.RemoveAll(revDir)
			return Set{}, fmt.Errorf("change add-on set %s: %w", name, err)
		}
	}
	// The new revision's time is when it replaced the one before (GC).
	t := time.Now()
	os.Chtimes(revDir, t, t)
	r.Rev, r.Bytes, r.Files, r.UpdatedAt = next, c.bytes, c.files, now
	s := r.set()
	// The change is made: a failure to say who uses the set is no
	// failure of it.
	if by, err := m.usedBy(swap, m.db.Reader(), r.ID); err == nil {
		s.UsedBy = by[r.ID]
	}
	return s, nil
}

// stage clones the revision at rev into staging.
func (c *Change) stage(rev, staging string) error {
	src, err := openDir(filepath.Join(rev, "left4dead2"))
	if err != nil {
		return fmt.Errorf("change add-on set %s: %w", c.set, err)
	}
	defer unix.Close(src)
	if c.root, err = openDir(filepath.Join(staging, "left4dead2")); err != nil {
		return fmt.Errorf("change add-on set %s: %w", c.set, err)
	}
	if c.bytes, c.files, err = clone(src, c.root); err != nil {
		unix.Close(c.root)
		return fmt.Errorf("change add-on set %s: %w", c.set, err)
	}
	return nil
}

// PutFile writes the file p of set name from r (a new revision), making
// its directories. Errors match store.ErrInvalid (a bad path, a
// directory at p, the set's caps) or store.ErrNotFound.
func (m *Manager) PutFile(ctx context.Context, name, p string, r io.Reader) (Set, error) {
	return m.Update(ctx, name, func(c *Change) error { return c.Put(p, r) })
}

// DeleteFile removes the file or the whole directory p from set name (a
// new revision), and the directories it leaves empty. Errors match
// store.ErrInvalid or store.ErrNotFound.
func (m *Manager) DeleteFile(ctx context.Context, name, p string) (Set, error) {
	return m.Update(ctx, name, func(c *Change) error { return c.Delete(p) })
}

// limitError is a cap a change would break; what says which, as a
// predicate ("would make the set hold more than 2 GiB").
type limitError struct{ what string }

func (e *limitError) Error() string { return e.what }

// readError is an error reading what is written (an upload, an
// archive's entry), as opposed to one writing it.
type readError struct{ err error }

func (e *readError) Error() string { return e.err.Error() }
func (e *readError) Unwrap() error { return e.err }

// Put writes the file p from r. See PutFile.
func (c *Change) Put(p string, r io.Reader) error {
	parts, err := splitPath(p)
	if err != nil {
		return err
	}
	f, err := c.create(parts)
	if err != nil {
		return err
	}
	_, err = c.fill(f, r, -1)
	var le *limitError
	var re *readError
	switch {
	case errors.As(err, &le):
		return invalid("the file %s %s; nothing was changed", p, le.what)
	case errors.As(err, &re):
		return fmt.Errorf("read %s: %w", p, re.err)
	}
	return err
}

// create makes the new, empty file parts (its directories too) in place
// of any file there, and counts it.
func (c *Change) create(parts []string) (*os.File, error) {
	dir, err := c.dirOf(parts, true)
	if err != nil {
		return nil, err
	}
	defer unix.Close(dir)
	name := parts[len(parts)-1]
	st, ok, err := statAt(dir, name)
	switch {
	case err != nil:
		return nil, err
	case ok && isDir(&st):
		return nil, invalid("the path %s is a directory in add-on set %s", strings.Join(parts, "/"), c.set)
	case ok:
		if err := unix.Unlinkat(dir, name, 0); err != nil {
			return nil, err
		}
		if isFile(&st) {
			c.bytes -= st.Size
			c.files--
		}
	}
	if c.files+1 > c.m.opts.MaxFiles {
		return nil, invalid("add-on set %s would hold more than %d files; nothing was changed", c.set, c.m.opts.MaxFiles)
	}
	fd, err := unix.Openat(dir, name, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, fileMode)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", strings.Join(parts, "/"), err)
	}
	c.files++
	return os.NewFile(uintptr(fd), name), nil
}

// dirOf opens the directory holding parts' last part, made when create.
// A file or link on the way is a sentence naming it.
func (c *Change) dirOf(parts []string, create bool) (int, error) {
	fd, err := unix.Dup(c.root)
	if err != nil {
		return -1, err
	}
	for i, p := range parts[:len(parts)-1] {
		next, err := openDirAt(fd, []string{p}, create)
		unix.Close(fd)
		switch {
		case err == errNotDir:
			return -1, invalid("the path %s is a file in add-on set %s, not a directory", strings.Join(parts[:i+1], "/"), c.set)
		case err == unix.ENOENT:
			return -1, notFound("add-on set %s has no %s", c.set, strings.Join(parts, "/"))
		case err != nil:
			return -1, err
		}
		fd = next
	}
	return fd, nil
}

// fill copies r into the new file f, closing it, within the set's caps
// and, when max >= 0, at most max bytes. It returns the bytes written.
func (c *Change) fill(f *os.File, r io.Reader, max int64) (int64, error) {
	defer f.Close()
	if c.buf == nil {
		c.buf = make([]byte, copyChunk)
	}
	buf := c.buf
	var n int64
	for {
		if err := c.ctx.Err(); err != nil {
			return n, err
		}
		k, rerr := r.Read(buf)
		if k > 0 {
			n += int64(k)
			c.bytes += int64(k)
			if c.bytes > c.m.opts.MaxBytes {
				return n, &limitError{fmt.Sprintf("would make add-on set %s hold more than %s (LEFT4ME_ADDON_MAX_BYTES)", c.set, bytesize.Format(c.m.opts.MaxBytes))}
			}
			if max >= 0 && n > max {
				return n, &limitError{fmt.Sprintf("expands to more than %s, over %d times its compressed size", bytesize.Format(max), c.m.opts.MaxRatio)}
			}
			if _, err := f.Write(buf[:k]); err != nil {
				return n, err
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return n, &readError{rerr}
		}
	}
	if !c.m.noSync {
		if err := f.Sync(); err != nil {
			return n, err
		}
	}
	return n, f.Close()
}

// Delete removes the file or directory p. See DeleteFile.
func (c *Change) Delete(p string) error {
	parts, err := splitPath(p)
	if err != nil {
		return err
	}
	dir, err := c.dirOf(parts, false)
	if errors.Is(err, store.ErrNotFound) {
		return notFound("add-on set %s has no %s", c.set, p)
	}
	if err != nil {
		return err
	}
	defer unix.Close(dir)
	name := parts[len(parts)-1]
	st, ok, err := statAt(dir, name)
	switch {
	case err != nil:
		return err
	case !ok:
		return notFound("add-on set %s has no %s", c.set, p)
	case isDir(&st):
		err = c.removeTree(dir, name)
	default:
		err = unix.Unlinkat(dir, name, 0)
		if err == nil && isFile(&st) {
			c.bytes -= st.Size
			c.files--
		}
	}
	if err != nil {
		return fmt.Errorf("delete %s: %w", p, err)
	}
	return c.pruneEmpty(parts[:len(parts)-1])
}

// removeTree removes the directory name in dir and all below it.
func (c *Change) removeTree(dir int, name string) error {
	sub, err := unix.Openat(dir, name, dirFlags, 0)
	if err != nil {
		return err
	}
	ns, err := names(sub)
	for _, n := range ns {
		if err != nil {
			break
		}
		var st unix.Stat_t
		var ok bool
		if st, ok, err = statAt(sub, n); err != nil || !ok {
			continue
		}
		if isDir(&st) {
			err = c.removeTree(sub, n)
			continue
		}
		if err = unix.Unlinkat(sub, n, 0); err == nil && isFile(&st) {
			c.bytes -= st.Size
			c.files--
		}
	}
	unix.Close(sub)
	if err != nil {
		return err
	}
	return unix.Unlinkat(dir, name, unix.AT_REMOVEDIR)
}

// pruneEmpty removes the directories dirs (a path's directories) from
// the deepest up while they are empty.
func (c *Change) pruneEmpty(dirs []string) error {
	for i := len(dirs); i > 0; i-- {
		parent, err := openDirAt(c.root, dirs[:i-1], false)
		if err != nil {
			return err
		}
		err = unix.Unlinkat(parent, dirs[i-1], unix.AT_REMOVEDIR)
		unix.Close(parent)
		if err == unix.ENOTEMPTY || err == unix.EEXIST {
			return nil
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// Files lists the files of set name at its current revision, by path.
func (m *Manager) Files(ctx context.Context, name string) ([]File, error) {
	r, err := m.row(ctx, m.db.Reader(), name)
	if err != nil {
		return nil, err
	}
	root, err := openDir(filepath.Join(m.Dir(name, r.Rev), "left4dead2"))
	if err != nil {
		return nil, fmt.Errorf("list add-on set %s: %w", name, err)
	}
	defer unix.Close(root)
	files := []File{}
	err = walk(root, "", func(_ int, _, rel string, st *unix.Stat_t) error {
		if isFile(st) {
			files = append(files, File{Path: rel, Bytes: st.Size})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list add-on set %s: %w", name, err)
	}
	return files, nil
}

// ReadFile opens the file p of set name at its current revision, for
// reading; the caller closes it (its size: Stat). The revision never
// changes, so what is read is one version of the file. Errors match
// store.ErrNotFound (no such set or file) or store.ErrInvalid (a bad
// path, a directory).
func (m *Manager) ReadFile(ctx context.Context, name, p string) (*os.File, error) {
	parts, err := splitPath(p)
	if err != nil {
		return nil, err
	}
	r, err := m.row(ctx, m.db.Reader(), name)
	if err != nil {
		return nil, err
	}
	root, err := openDir(filepath.Join(m.Dir(name, r.Rev), "left4dead2"))
	if err != nil {
		return nil, fmt.Errorf("read add-on set %s: %w", name, err)
	}
	defer unix.Close(root)
	dir, err := openDirAt(root, parts[:len(parts)-1], false)
	if err == errNotDir || err == unix.ENOENT {
		return nil, notFound("add-on set %s has no file %s", name, p)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", p, err)
	}
	defer unix.Close(dir)
	fd, err := unix.Openat(dir, parts[len(parts)-1], unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
	if err == unix.ENOENT || err == unix.ELOOP {
		return nil, notFound("add-on set %s has no file %s", name, p)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", p, err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, err
	}
	if !isFile(&st) {
		unix.Close(fd)
		if isDir(&st) {
			return nil, invalid("the path %s is a directory in add-on set %s, not a file", p, name)
		}
		return nil, notFound("add-on set %s has no file %s", name, p)
	}
	// O_NONBLOCK only kept a stray FIFO from blocking the open.
	if err := unix.SetNonblock(fd, false); err != nil {
		unix.Close(fd)
		return nil, err
	}
	return os.NewFile(uintptr(fd), p), nil
}
