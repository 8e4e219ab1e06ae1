package addons

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sort"

	"golang.org/x/sys/unix"
)

// Every file operation inside a set goes through directory descriptors,
// one path part at a time, with O_NOFOLLOW: a symbolic link anywhere in a
// set's tree (none is ever written there) is refused, never followed.

const (
	dirFlags  = unix.O_RDONLY | unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_CLOEXEC
	fileMode  = 0o644
	dirMode   = 0o755
	copyChunk = 256 << 10
)

// errNotDir is returned when a part of a path is a file (or a symbolic
// link) where a directory is wanted.
var errNotDir = errors.New("not a directory")

// openDir opens the directory at path (the plain path of a directory
// the panel made, such as a revision) without following a symbolic link
// in its last part.
func openDir(path string) (int, error) {
	fd, err := unix.Open(path, dirFlags, 0)
	if err != nil {
		return -1, &os.PathError{Op: "open", Path: path, Err: err}
	}
	return fd, nil
}

// openDirAt opens the directory parts below the directory dir, never
// following a symbolic link; with create, missing directories are made.
// The caller closes the descriptor returned.
func openDirAt(dir int, parts []string, create bool) (int, error) {
	fd, err := unix.Dup(dir)
	if err != nil {
		return -1, err
	}
	for _, p := range parts {
		next, err := unix.Openat(fd, p, dirFlags, 0)
		if err == unix.ENOENT && create {
			if err = unix.Mkdirat(fd, p, dirMode); err == nil || err == unix.EEXIST {
				next, err = unix.Openat(fd, p, dirFlags, 0)
			}
		}
		unix.Close(fd)
		switch {
		case err == unix.ENOTDIR || err == unix.ELOOP:
			return -1, errNotDir
		case err != nil:
			return -1, err
		}
		fd = next
	}
	return fd, nil
}

// statAt is fstatat without following a symbolic link; ok is false when
// name does not exist.
func statAt(dir int, name string) (st unix.Stat_t, ok bool, err error) {
	err = unix.Fstatat(dir, name, &st, unix.AT_SYMLINK_NOFOLLOW)
	if err == unix.ENOENT {
		return st, false, nil
	}
	return st, err == nil, err
}

func isDir(st *unix.Stat_t) bool  { return st.Mode&unix.S_IFMT == unix.S_IFDIR }
func isFile(st *unix.Stat_t) bool { return st.Mode&unix.S_IFMT == unix.S_IFREG }

// names lists the entries of the directory dir, sorted.
func names(dir int) ([]string, error) {
	fd, err := unix.Dup(dir)
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(fd), "dir")
	defer f.Close()
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	ns, err := f.Readdirnames(-1)
	sort.Strings(ns)
	return ns, err
}

// walk calls fn for every directory and regular file below dir, parents
// before children, in name order, with rel the path below dir. Anything
// else (a symbolic link, a device) is passed to other, if not nil.
func walk(dir int, rel string, fn func(dir int, name, rel string, st *unix.Stat_t) error) error {
	ns, err := names(dir)
	if err != nil {
		return err
	}
	for _, n := range ns {
		st, ok, err := statAt(dir, n)
		if err != nil {
			return err
		}
		if !ok {
			continue // gone since it was listed
		}
		r := n
		if rel != "" {
			r = rel + "/" + n
		}
		if err := fn(dir, n, r, &st); err != nil {
			return err
		}
		if isDir(&st) {
			sub, err := unix.Openat(dir, n, dirFlags, 0)
			if err != nil {
				return fmt.Errorf("open %s: %w", r, err)
			}
			err = walk(sub, r, fn)
			unix.Close(sub)
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// clone makes dst (an empty directory) a copy of src by hard links:
// directories are made anew, regular files linked (copied where they
// cannot be), anything else left out. It returns
// the bytes and the number of files of the tree. It holds two
// descriptors per level of depth, whatever the tree's size.
func clone(src, dst int) (bytes int64, files int, err error) {
	ns, err := names(src)
	if err != nil {
		return 0, 0, err
	}
	for _, n := range ns {
		st, ok, err := statAt(src, n)
		if err != nil {
			return bytes, files, err
		}
		switch {
		case !ok:
		case isDir(&st):
			b, f, err := cloneDir(src, dst, n)
			bytes, files = bytes+b, files+f
			if err != nil {
				return bytes, files, fmt.Errorf("%s/%w", n, err)
			}
		case isFile(&st):
			err := unix.Linkat(src, n, dst, n, 0)
			if err == unix.EMLINK || err == unix.EPERM {
				// Too many links, or a file of another owner where
				// fs.protected_hardlinks is on: a copy instead.
				err = copyAt(src, n, dst, n)
			}
			if err != nil {
				return bytes, files, fmt.Errorf("%s: %w", n, err)
			}
			bytes += st.Size
			files++
		}
	}
	return bytes, files, nil
}

// cloneDir clones the directory name of src as name in dst.
func cloneDir(src, dst int, name string) (int64, int, error) {
	if err := unix.Mkdirat(dst, name, dirMode); err != nil {
		return 0, 0, err
	}
	s, err := unix.Openat(src, name, dirFlags, 0)
	if err != nil {
		return 0, 0, err
	}
	defer unix.Close(s)
	d, err := unix.Openat(dst, name, dirFlags, 0)
	if err != nil {
		return 0, 0, err
	}
	defer unix.Close(d)
	return clone(s, d)
}

// copyAt copies the regular file name in src to a new file name in dst.
func copyAt(src int, name string, dst int, dstName string) error {
	in, err := unix.Openat(src, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	r := os.NewFile(uintptr(in), name)
	defer r.Close()
	out, err := unix.Openat(dst, dstName, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, fileMode)
	if err != nil {
		return err
	}
	w := os.NewFile(uintptr(out), dstName)
	if _, err := io.Copy(w, r); err != nil {
		w.Close()
		return err
	}
	if err := w.Sync(); err != nil {
		w.Close()
		return err
	}
	return w.Close()
}

// syncDirs fsyncs dir and every directory below it, so the entries made
// in them (links, new files, renames) are on disk.
func (m *Manager) syncDirs(dir int) error {
	if m.noSync {
		return nil
	}
	if err := unix.Fsync(dir); err != nil {
		return err
	}
	return walk(dir, "", func(parent int, name, rel string, st *unix.Stat_t) error {
		if !isDir(st) {
			return nil
		}
		fd, err := unix.Openat(parent, name, dirFlags, 0)
		if err != nil {
			return err
		}
		defer unix.Close(fd)
		return unix.Fsync(fd)
	})
}

// syncPath fsyncs the directory at path.
func (m *Manager) syncPath(path string) error {
	if m.noSync {
		return nil
	}
	fd, err := openDir(path)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	return unix.Fsync(fd)
}
