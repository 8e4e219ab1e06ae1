package addons

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/left4me/left4me/internal/bytesize"
	"github.com/left4me/left4me/store"
)

// ArchiveError is an archive refused as a whole: nothing of it was
// written. It matches store.ErrInvalid.
type ArchiveError struct {
	// Entry is the first bad entry's name as the archive spells it, or
	// "" when the archive itself is bad (not a .zip or .tar.gz, damaged).
	Entry string
	// Reason says what is wrong, as a predicate: "is a symbolic link".
	Reason string
}

// Error is a sentence naming the entry.
func (e *ArchiveError) Error() string {
	if e.Entry == "" {
		return fmt.Sprintf("the archive %s; nothing was changed", e.Reason)
	}
	return fmt.Sprintf("the archive's entry %q %s; nothing was changed", e.Entry, e.Reason)
}

// Is makes an ArchiveError match store.ErrInvalid.
func (e *ArchiveError) Is(target error) bool { return target == store.ErrInvalid }

// ExtractArchive extracts a .zip, .tar.gz or .tar archive (told apart by
// their first bytes) into the directory into of set name ("" for the set's
// root, which is the game's left4dead2/), all or nothing, as one new
// revision. Existing files of the same paths are replaced. An archive
// whose first entry is left4dead2/ (or under it) holds the game's
// directory: its entries are extracted without that part. Refused, with
// an *ArchiveError naming the first bad entry: absolute paths, "..",
// symbolic and hard links, devices and other special files, encrypted
// entries, an entry twice, more than MaxFiles entries, an entry that
// expands more than MaxRatio times its compressed size, a set over
// MaxBytes. The archive is streamed: nothing is written whole before
// it is checked. Other errors match store.ErrInvalid (a bad into) or
// store.ErrNotFound.
func (m *Manager) ExtractArchive(ctx context.Context, name, into string, archive io.ReaderAt, size int64) (Set, error) {
	return m.Update(ctx, name, func(c *Change) error { return c.Extract(into, archive, size) })
}

// Extract extracts an archive into the directory into. See
// ExtractArchive.
func (c *Change) Extract(into string, archive io.ReaderAt, size int64) error {
	into = strings.TrimSuffix(into, "/")
	if into != "" {
		if err := CheckPath(into); err != nil {
			return err
		}
	}
	var magic [4]byte
	n, _ := archive.ReadAt(magic[:], 0)
	switch {
	case n == 4 && (string(magic[:]) == "PK\x03\x04" || string(magic[:]) == "PK\x05\x06"):
		return c.extractZip(into, archive, size)
	case n >= 2 && magic[0] == 0x1f && magic[1] == 0x8b:
		return c.extractTarGz(into, io.NewSectionReader(archive, 0, size))
	}
	var ustar [5]byte
	if n, _ := archive.ReadAt(ustar[:], 257); n == 5 && string(ustar[:]) == "ustar" {
		plain := &countingReader{r: io.NewSectionReader(archive, 0, size)}
		return c.extractTar(into, plain, plain, ".tar")
	}
	return &ArchiveError{Reason: "is neither a .zip nor a .tar.gz file"}
}

// entryError turns an error writing entry into an *ArchiveError.
func entryError(entry string, err error) error {
	var le *limitError
	var se *store.Error
	var re *readError
	switch {
	case errors.As(err, &le):
		return &ArchiveError{Entry: entry, Reason: le.what}
	case errors.As(err, &re):
		return &ArchiveError{Entry: entry, Reason: "is damaged (" + re.err.Error() + ")"}
	case errors.As(err, &se):
		return &ArchiveError{Entry: entry, Reason: "cannot be written: " + se.Msg}
	case errors.Is(err, zip.ErrFormat), errors.Is(err, zip.ErrChecksum), errors.Is(err, zip.ErrAlgorithm),
		errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, gzip.ErrChecksum), errors.Is(err, gzip.ErrHeader),
		errors.Is(err, tar.ErrHeader):
		return &ArchiveError{Entry: entry, Reason: "is damaged (" + err.Error() + ")"}
	}
	return err
}

// kindProblem says why an entry of mode is refused, or "".
func kindProblem(mode os.FileMode) string {
	switch {
	case mode&os.ModeSymlink != 0:
		return "is a symbolic link"
	case mode&(os.ModeDevice|os.ModeCharDevice) != 0:
		return "is a device"
	case mode&os.ModeNamedPipe != 0:
		return "is a named pipe"
	case mode&(os.ModeSocket|os.ModeIrregular) != 0:
		return "is a special file"
	}
	return ""
}

// maxExpansion is what an entry compressed to compressed bytes may
// expand to.
func (c *Change) maxExpansion(compressed uint64) int64 {
	if compressed > uint64(c.m.opts.MaxBytes) {
		return c.m.opts.MaxBytes + ratioSlack
	}
	return int64(compressed)*c.m.opts.MaxRatio + ratioSlack
}

func (c *Change) extractZip(into string, archive io.ReaderAt, size int64) error {
	// archive/zip reads the whole central directory into memory: refuse
	// a count far over the cap before it does (one just over it is
	// refused below, naming the entry).
	if n, ok := zipEntries(archive, size); ok && n > 4*uint64(c.m.opts.MaxFiles) {
		return &ArchiveError{Reason: fmt.Sprintf("says it holds %d entries; an archive may hold at most %d", n, c.m.opts.MaxFiles)}
	}
	zr, err := zip.NewReader(archive, size)
	if errors.Is(err, zip.ErrInsecurePath) {
		err = nil // the entries' paths are checked below, each by name
	}
	if err != nil {
		return &ArchiveError{Reason: "is a damaged .zip file (" + err.Error() + ")"}
	}
	if len(zr.File) > c.m.opts.MaxFiles {
		return &ArchiveError{Entry: zr.File[c.m.opts.MaxFiles].Name,
			Reason: fmt.Sprintf("is one too many: an archive may hold at most %d entries", c.m.opts.MaxFiles)}
	}
	// Every entry is checked before anything is written: the central
	// directory has them all.
	type item struct {
		f    *zip.File
		path string
		dir  bool
	}
	items := make([]item, 0, len(zr.File))
	paths := &entryPaths{into: into}
	seen := map[string]bool{}
	var claimed uint64
	for _, f := range zr.File {
		dir := strings.HasSuffix(f.Name, "/") || f.Mode().IsDir()
		if why := kindProblem(f.Mode()); why != "" {
			return &ArchiveError{Entry: f.Name, Reason: why}
		}
		p, why := paths.path(f.Name, dir)
		if why != "" {
			return &ArchiveError{Entry: f.Name, Reason: why}
		}
		if p == "" {
			continue
		}
		if f.Flags&1 != 0 {
			return &ArchiveError{Entry: f.Name, Reason: "is encrypted"}
		}
		if !dir {
			if seen[p] {
				return &ArchiveError{Entry: f.Name, Reason: "appears twice in the archive"}
			}
			if f.Method != zip.Store && f.Method != zip.Deflate {
				return &ArchiveError{Entry: f.Name, Reason: fmt.Sprintf("is compressed with method %d; only stored and deflated entries are read", f.Method)}
			}
			if f.UncompressedSize64 > uint64(c.m.opts.MaxBytes) {
				return &ArchiveError{Entry: f.Name, Reason: fmt.Sprintf("says it holds %d bytes, more than a set may (%s, LEFT4ME_ADDON_MAX_BYTES)", f.UncompressedSize64, bytesize.Format(c.m.opts.MaxBytes))}
			}
			if int64(f.UncompressedSize64) > c.maxExpansion(f.CompressedSize64) {
				return &ArchiveError{Entry: f.Name, Reason: fmt.Sprintf("expands %d bytes to %d, over %d times", f.CompressedSize64, f.UncompressedSize64, c.m.opts.MaxRatio)}
			}
			if claimed += f.UncompressedSize64; claimed > uint64(c.m.opts.MaxBytes) {
				return &ArchiveError{Entry: f.Name, Reason: fmt.Sprintf("takes the archive's files past %s, more than a set may hold (LEFT4ME_ADDON_MAX_BYTES)", bytesize.Format(c.m.opts.MaxBytes))}
			}
		}
		seen[p] = true
		items = append(items, item{f, p, dir})
	}
	for _, it := range items {
		if err := c.extractZipEntry(it.f, it.path, it.dir); err != nil {
			return entryError(it.f.Name, err)
		}
	}
	return nil
}

func (c *Change) extractZipEntry(f *zip.File, p string, dir bool) error {
	parts := strings.Split(p, "/")
	if dir {
		return c.mkdir(parts)
	}
	rc, err := f.Open()
	if err != nil {
		return &readError{err}
	}
	defer rc.Close()
	out, err := c.create(parts)
	if err != nil {
		return err
	}
	// The declared sizes are checked above, and archive/zip stops at the
	// declared uncompressed size; the bound holds whatever they say.
	_, err = c.fill(out, rc, c.maxExpansion(f.CompressedSize64))
	return err
}

// mkdir makes the directory parts and those above it.
func (c *Change) mkdir(parts []string) error {
	fd, err := c.dirOf(append(parts, ""), true)
	if err != nil {
		return err
	}
	unix.Close(fd)
	return nil
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (r *countingReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.n += int64(n)
	return n, err
}

// ratioReader reads an entry of a compressed stream and fails once the
// stream's expanded bytes pass ratio times its compressed bytes.
type ratioReader struct {
	r          io.Reader
	compressed *countingReader
	expanded   *int64
	ratio      int64
}

func (r *ratioReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	*r.expanded += int64(n)
	if *r.expanded > r.compressed.n*r.ratio+ratioSlack {
		return n, &limitError{fmt.Sprintf("expands the archive to over %d times its compressed size", r.ratio)}
	}
	return n, err
}

func (c *Change) extractTarGz(into string, archive io.Reader) error {
	compressed := &countingReader{r: archive}
	gz, err := gzip.NewReader(compressed)
	if err != nil {
		return &ArchiveError{Reason: "is a damaged .gz file (" + err.Error() + ")"}
	}
	return c.extractTar(into, gz, compressed, ".tar.gz")
}

// extractTar extracts the tar stream r, whose archive's bytes, as
// uploaded, are counted by compressed; kind names the archive's kind.
func (c *Change) extractTar(into string, r io.Reader, compressed *countingReader, kind string) error {
	tr := tar.NewReader(r)
	seen := map[string]bool{}
	paths := &entryPaths{into: into}
	var expanded int64
	for entries := 0; ; entries++ {
		hdr, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if errors.Is(err, tar.ErrInsecurePath) {
			err = nil // checked below by name
		}
		if err != nil {
			return &ArchiveError{Reason: "is a damaged " + kind + " file (" + err.Error() + ")"}
		}
		if entries >= c.m.opts.MaxFiles {
			return &ArchiveError{Entry: hdr.Name,
				Reason: fmt.Sprintf("is one too many: an archive may hold at most %d entries", c.m.opts.MaxFiles)}
		}
		dir := false
		switch hdr.Typeflag {
		case tar.TypeXGlobalHeader:
			continue
		case tar.TypeReg, 0:
		case tar.TypeDir:
			dir = true
		case tar.TypeSymlink:
			return &ArchiveError{Entry: hdr.Name, Reason: fmt.Sprintf("is a symbolic link (to %q)", hdr.Linkname)}
		case tar.TypeLink:
			return &ArchiveError{Entry: hdr.Name, Reason: fmt.Sprintf("is a hard link (to %q)", hdr.Linkname)}
		case tar.TypeChar, tar.TypeBlock:
			return &ArchiveError{Entry: hdr.Name, Reason: "is a device"}
		case tar.TypeFifo:
			return &ArchiveError{Entry: hdr.Name, Reason: "is a named pipe"}
		default:
			return &ArchiveError{Entry: hdr.Name, Reason: fmt.Sprintf("is of a kind (tar type %q) the panel does not extract", hdr.Typeflag)}
		}
		p, why := paths.path(hdr.Name, dir)
		if why != "" {
			return &ArchiveError{Entry: hdr.Name, Reason: why}
		}
		if p == "" {
			continue
		}
		parts := strings.Split(p, "/")
		if dir {
			if err := c.mkdir(parts); err != nil {
				return entryError(hdr.Name, err)
			}
			continue
		}
		if seen[p] {
			return &ArchiveError{Entry: hdr.Name, Reason: "appears twice in the archive"}
		}
		seen[p] = true
		if hdr.Size > c.m.opts.MaxBytes {
			return &ArchiveError{Entry: hdr.Name, Reason: fmt.Sprintf("holds %d bytes, more than a set may (%s, LEFT4ME_ADDON_MAX_BYTES)", hdr.Size, bytesize.Format(c.m.opts.MaxBytes))}
		}
		out, err := c.create(parts)
		if err != nil {
			return entryError(hdr.Name, err)
		}
		r := &ratioReader{r: tr, compressed: compressed, expanded: &expanded, ratio: c.m.opts.MaxRatio}
		if _, err := c.fill(out, r, -1); err != nil {
			return entryError(hdr.Name, err)
		}
	}
}

// zipEntries reads the number of entries a zip's end of central
// directory claims (its zip64 record's, where it has one); ok is false
// when there is none to read, which archive/zip then refuses.
func zipEntries(r io.ReaderAt, size int64) (n uint64, ok bool) {
	const eocdLen, maxComment = 22, 65535
	tail := int64(eocdLen + maxComment)
	if tail > size {
		tail = size
	}
	buf := make([]byte, tail)
	if _, err := r.ReadAt(buf, size-tail); err != nil && err != io.EOF {
		return 0, false
	}
	i := bytes.LastIndex(buf, []byte("PK\x05\x06"))
	if i < 0 || len(buf)-i < eocdLen {
		return 0, false
	}
	n = uint64(binary.LittleEndian.Uint16(buf[i+10:]))
	if n != 0xffff || i < 20 || string(buf[i-20:i-16]) != "PK\x06\x07" {
		return n, true
	}
	// The zip64 locator points at the zip64 end record, whose entry
	// count is 8 bytes at offset 32.
	off := int64(binary.LittleEndian.Uint64(buf[i-20+8:]))
	var rec [40]byte
	if off < 0 || off > size-40 {
		return 0, false
	}
	if _, err := r.ReadAt(rec[:], off); err != nil || string(rec[:4]) != "PK\x06\x06" {
		return 0, false
	}
	return binary.LittleEndian.Uint64(rec[32:]), true
}
