package addons_test

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/left4me/left4me/addons"
	"github.com/left4me/left4me/store"
)

// entry is one entry of a test archive.
type entry struct {
	name     string
	body     string
	mode     os.FileMode // 0: a regular file (a directory when name ends in /)
	typeflag byte        // tar only: overrides the type
	link     string      // tar: the link's target; zip: a symbolic link's body
}

func zipOf(t testing.TB, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		if e.mode != 0 {
			h.SetMode(e.mode)
		}
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		body := e.body
		if e.link != "" {
			body = e.link
		}
		if !strings.HasSuffix(e.name, "/") {
			if _, err := w.Write([]byte(body)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func tgzOf(t testing.TB, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Mode: 0o644, Size: int64(len(e.body)), Typeflag: tar.TypeReg, Linkname: e.link, Format: tar.FormatPAX}
		switch {
		case e.typeflag != 0:
			h.Typeflag, h.Size = e.typeflag, 0
		case strings.HasSuffix(e.name, "/"):
			h.Typeflag, h.Size, h.Mode = tar.TypeDir, 0, 0o755
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Size > 0 {
			if _, err := tw.Write([]byte(e.body)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func (e *env) extract(set, into string, archive []byte) (addons.Set, error) {
	return e.m.ExtractArchive(ctx, set, into, bytes.NewReader(archive), int64(len(archive)))
}

func TestExtractZipAndTarGz(t *testing.T) {
	sourcemod := []entry{
		{name: "addons/"},
		{name: "addons/sourcemod/plugins/admin.smx", body: "SMX1"},
		{name: "addons/metamod.vdf", body: `"Plugin" { "file" "x" }`},
		{name: "cfg/sourcemod/sourcemod.cfg", body: "sm_flood_time 0.75"},
	}
	want := map[string]string{
		"addons/sourcemod/plugins/admin.smx": "SMX1",
		"addons/metamod.vdf":                 `"Plugin" { "file" "x" }`,
		"cfg/sourcemod/sourcemod.cfg":        "sm_flood_time 0.75",
		"cfg/server_extra.cfg":               "keep me",
	}
	for _, tc := range []struct {
		kind    string
		archive []byte
	}{
		{"zip", zipOf(t, sourcemod...)},
		{"tar.gz", tgzOf(t, append([]entry{{name: "./"}}, prefixed("./", sourcemod)...)...)},
		{"zip of left4dead2/", zipOf(t, append([]entry{{name: "left4dead2/"}}, prefixed("left4dead2/", sourcemod)...)...)},
		{"tar.gz of ./left4dead2/", tgzOf(t, prefixed("./left4dead2/", sourcemod)...)},
		{"tar", gunzip(t, tgzOf(t, sourcemod...))},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			e := newEnv(t, addons.Options{})
			e.create(t, "sm")
			e.put(t, "sm", "cfg/server_extra.cfg", "keep me")
			e.put(t, "sm", "addons/sourcemod/plugins/admin.smx", "old")
			s, err := e.extract("sm", "", tc.archive)
			if err != nil {
				t.Fatal(err)
			}
			if got := e.tree(t, "sm", s.Rev); !reflect.DeepEqual(got, want) {
				t.Errorf("extracted %v, want %v", got, want)
			}
			if s.Files != len(want) {
				t.Errorf("set counts %d files, want %d", s.Files, len(want))
			}
			// Into a directory.
			s, err = e.extract("sm", "addons/extra/", tc.archive)
			if err != nil {
				t.Fatal(err)
			}
			if got := e.read(t, "sm", "addons/extra/cfg/sourcemod/sourcemod.cfg"); got != "sm_flood_time 0.75" {
				t.Errorf("into addons/extra: %q", got)
			}
		})
	}
}

// gunzip makes a .tar of a .tar.gz.
func gunzip(t testing.TB, tgz []byte) []byte {
	zr, err := gzip.NewReader(bytes.NewReader(tgz))
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func prefixed(p string, es []entry) []entry {
	out := make([]entry, len(es))
	for i, e := range es {
		e.name = p + e.name
		out[i] = e
	}
	return out
}

// The hostile corpus: every archive is refused whole, naming its first
// bad entry, and the set stays as it was. Each has a good entry first, so
// all or nothing is what is tested.
func TestHostileArchivesChangeNothing(t *testing.T) {
	good := entry{name: "cfg/good.cfg", body: "fine"}
	cases := []struct {
		name      string
		archive   func(t *testing.T) []byte
		entry     string
		reason    string
		noArchive bool
	}{
		{"zip ../", func(t *testing.T) []byte { return zipOf(t, good, entry{name: "../evil.cfg", body: "x"}) }, "../evil.cfg", `contains ".."`, false},
		{"zip deeper ..", func(t *testing.T) []byte { return zipOf(t, good, entry{name: "cfg/../../../evil.cfg", body: "x"}) }, "cfg/../../../evil.cfg", `contains ".."`, false},
		{"zip absolute", func(t *testing.T) []byte { return zipOf(t, good, entry{name: "/etc/cron.d/evil", body: "x"}) }, "/etc/cron.d/evil", "is an absolute path", false},
		{"zip symlink to /etc", func(t *testing.T) []byte {
			return zipOf(t, good, entry{name: "cfg/etc", mode: os.ModeSymlink | 0o777, link: "/etc"})
		}, "cfg/etc", "is a symbolic link", false},
		{"zip device", func(t *testing.T) []byte {
			return zipOf(t, good, entry{name: "cfg/null", mode: os.ModeDevice | os.ModeCharDevice | 0o666})
		}, "cfg/null", "is a device", false},
		{"zip named pipe", func(t *testing.T) []byte { return zipOf(t, good, entry{name: "cfg/p", mode: os.ModeNamedPipe | 0o644}) }, "cfg/p", "is a named pipe", false},
		{"zip twice", func(t *testing.T) []byte { return zipOf(t, good, entry{name: "cfg/good.cfg", body: "again"}) }, "cfg/good.cfg", "appears twice", false},
		{"zip backslash", func(t *testing.T) []byte { return zipOf(t, good, entry{name: `..\..\evil.cfg`, body: "x"}) }, `..\..\evil.cfg`, "contains a backslash", false},
		{"zip file under a file", func(t *testing.T) []byte { return zipOf(t, good, entry{name: "cfg/good.cfg/x", body: "x"}) }, "cfg/good.cfg/x", "cfg/good.cfg is a file in add-on set s", false},
		{"tar symlink to /etc", func(t *testing.T) []byte {
			return gunzip(t, tgzOf(t, good, entry{name: "cfg/etc", typeflag: tar.TypeSymlink, link: "/etc"}))
		}, "cfg/etc", `is a symbolic link (to "/etc")`, false},
		{"tar.gz ../", func(t *testing.T) []byte { return tgzOf(t, good, entry{name: "../evil.cfg", body: "x"}) }, "../evil.cfg", `contains ".."`, false},
		{"tar.gz ./../", func(t *testing.T) []byte { return tgzOf(t, good, entry{name: "./../evil.cfg", body: "x"}) }, "./../evil.cfg", `contains ".."`, false},
		{"tar.gz absolute", func(t *testing.T) []byte { return tgzOf(t, good, entry{name: "/etc/passwd", body: "x"}) }, "/etc/passwd", "is an absolute path", false},
		{"tar.gz symlink to /etc", func(t *testing.T) []byte {
			return tgzOf(t, good, entry{name: "cfg/etc", typeflag: tar.TypeSymlink, link: "/etc"})
		}, "cfg/etc", `is a symbolic link (to "/etc")`, false},
		{"tar.gz symlink then a file through it", func(t *testing.T) []byte {
			return tgzOf(t, entry{name: "cfg", typeflag: tar.TypeSymlink, link: "/etc"}, entry{name: "cfg/cron.d/x", body: "x"})
		}, "cfg", "is a symbolic link", false},
		{"tar.gz hard link", func(t *testing.T) []byte {
			return tgzOf(t, good, entry{name: "cfg/passwd", typeflag: tar.TypeLink, link: "/etc/passwd"})
		}, "cfg/passwd", `is a hard link (to "/etc/passwd")`, false},
		{"tar.gz device", func(t *testing.T) []byte { return tgzOf(t, good, entry{name: "cfg/sda", typeflag: tar.TypeBlock}) }, "cfg/sda", "is a device", false},
		{"tar.gz fifo", func(t *testing.T) []byte { return tgzOf(t, good, entry{name: "cfg/fifo", typeflag: tar.TypeFifo}) }, "cfg/fifo", "is a named pipe", false},
		{"tar.gz twice", func(t *testing.T) []byte { return tgzOf(t, good, entry{name: "./cfg/good.cfg", body: "x"}) }, "./cfg/good.cfg", "appears twice", false},
		{"zip of left4dead2/ and beside it", func(t *testing.T) []byte {
			return zipOf(t, entry{name: "left4dead2/cfg/good.cfg", body: "x"}, entry{name: "srcds_run", body: "x"})
		}, "srcds_run", "is outside left4dead2/, where the archive's first entry is", false},
		{"not an archive", func(t *testing.T) []byte { return []byte("just some text, not a zip") }, "", "is neither a .zip nor a .tar.gz file", true},
		{"a damaged zip", func(t *testing.T) []byte { return zipOf(t, good)[:30] }, "", "is a damaged .zip file", true},
		{"a damaged tar.gz", func(t *testing.T) []byte { a := tgzOf(t, good); return a[:len(a)/2] }, "", "damaged", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, addons.Options{})
			e.create(t, "s")
			before := e.put(t, "s", "cfg/good.cfg", "before")
			_, err := e.extract("s", "", tc.archive(t))
			var ae *addons.ArchiveError
			if !errors.As(err, &ae) {
				t.Fatalf("error %v (%T) is no ArchiveError", err, err)
			}
			if ae.Entry != tc.entry || !strings.Contains(ae.Reason, tc.reason) {
				t.Errorf("refused entry %q: %q; want %q: %q", ae.Entry, ae.Reason, tc.entry, tc.reason)
			}
			if !errors.Is(err, store.ErrInvalid) || !strings.HasSuffix(err.Error(), "; nothing was changed") {
				t.Errorf("error %q", err)
			}
			e.unchanged(t, "s", before, map[string]string{"cfg/good.cfg": "before"})
		})
	}
}

// unchanged checks that set is still before, holds want, and that
// nothing was left beside its revisions.
func (e *env) unchanged(t *testing.T, set string, before addons.Set, want map[string]string) {
	t.Helper()
	now, err := e.m.Set(ctx, set)
	if err != nil {
		t.Fatal(err)
	}
	if now.Rev != before.Rev || now.Bytes != before.Bytes || now.Files != before.Files {
		t.Errorf("the set changed: %+v, was %+v", now, before)
	}
	if got := e.tree(t, set, now.Rev); !reflect.DeepEqual(got, want) {
		t.Errorf("the set holds %v, want %v", got, want)
	}
	ents, err := os.ReadDir(filepath.Join(e.root, "addons", set))
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 1 || ents[0].Name() != "revs" {
		t.Errorf("beside revs/ in the set's directory: %v", ents)
	}
	revs, _ := os.ReadDir(filepath.Join(e.root, "addons", set, "revs"))
	if len(revs) != before.Rev {
		t.Errorf("%d revisions on disk, want %d", len(revs), before.Rev)
	}
}

// zeroBlock is raw deflate data, byte-aligned and independent of what
// came before, that expands to mib MiB of zeros.
func zeroBlock(t testing.TB, mib int) []byte {
	var buf bytes.Buffer
	fw, err := flate.NewWriter(&buf, flate.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fw.Write(make([]byte, mib<<20)); err != nil {
		t.Fatal(err)
	}
	if err := fw.Flush(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// finalBlock ends a raw deflate stream.
var finalBlock = []byte{0x03, 0x00}

// zipBomb is a zip whose one entry is mib MiB of zeros deflated (about
// 1 KB per MiB), its header claiming claimed bytes.
func zipBomb(t testing.TB, name string, mib int, claimed uint64) []byte {
	block := zeroBlock(t, 1)
	data := append(bytes.Repeat(block, mib), finalBlock...)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateRaw(&zip.FileHeader{Name: name, Method: zip.Deflate, CRC32: crc32.ChecksumIEEE(nil),
		CompressedSize64: uint64(len(data)), UncompressedSize64: claimed})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// tgzBomb is a .tar.gz of one entry that holds size bytes of zeros,
// its compressed stream about 1 KB per MiB.
func tgzBomb(t testing.TB, name string, size int64) []byte {
	var hdr bytes.Buffer
	tw := tar.NewWriter(&hdr)
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: size, Typeflag: tar.TypeReg}); err != nil {
		t.Fatal(err)
	}
	var head bytes.Buffer
	fw, _ := flate.NewWriter(&head, flate.BestCompression)
	fw.Write(hdr.Bytes())
	fw.Flush()
	var out bytes.Buffer
	out.Write([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff}) // a gzip member's header
	out.Write(head.Bytes())
	block := zeroBlock(t, 1)
	for i := int64(0); i < size>>20; i++ {
		out.Write(block)
	}
	out.Write(finalBlock)
	out.Write(make([]byte, 8)) // a wrong CRC and size: never reached
	return out.Bytes()
}

// Zip bombs: an entry of 10 GiB of zeros, claiming so or claiming 1 KB,
// and a tar.gz of 10 GiB and of 1 GiB (under the cap, over the ratio).
// Each is refused, and the set stays as it was.
func TestArchiveBombsAreRefused(t *testing.T) {
	for _, tc := range []struct {
		name    string
		archive func(t *testing.T) []byte
		reason  string
	}{
		{"zip entry of 1 KB claiming 10 GiB", func(t *testing.T) []byte { return zipBomb(t, "maps/bomb.vpk", 1, 10<<30) }, "says it holds 10737418240 bytes"},
		{"zip of 10 GiB claiming so", func(t *testing.T) []byte { return zipBomb(t, "maps/bomb.vpk", 10<<10, 10<<30) }, "says it holds 10737418240 bytes, more than a set may (2.0 GiB, LEFT4ME_ADDON_MAX_BYTES)"},
		{"zip of 10 GiB claiming 1 KB", func(t *testing.T) []byte { return zipBomb(t, "maps/bomb.vpk", 10<<10, 1<<10) }, "is damaged"},
		{"zip of 64 MiB in 64 KB", func(t *testing.T) []byte { return zipBomb(t, "maps/bomb.vpk", 64, 64<<20) }, "over 200 times"},
		{"tar.gz of 10 GiB", func(t *testing.T) []byte { return tgzBomb(t, "maps/bomb.vpk", 10<<30) }, "holds 10737418240 bytes, more than a set may"},
		{"tar.gz of 1 GiB", func(t *testing.T) []byte { return tgzBomb(t, "maps/bomb.vpk", 1<<30) }, "expands the archive to over 200 times its compressed size"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, addons.Options{})
			e.create(t, "s")
			before := e.put(t, "s", "cfg/good.cfg", "before")
			archive := tc.archive(t)
			_, err := e.extract("s", "", archive)
			var ae *addons.ArchiveError
			if !errors.As(err, &ae) {
				t.Fatalf("error %v (%T) is no ArchiveError", err, err)
			}
			if ae.Entry != "maps/bomb.vpk" || !strings.Contains(ae.Reason, tc.reason) {
				t.Errorf("refused %q: %q; want %q", ae.Entry, ae.Reason, tc.reason)
			}
			e.unchanged(t, "s", before, map[string]string{"cfg/good.cfg": "before"})
		})
	}
}

// A symbolic link planted in a set's tree on disk (the panel never writes
// one) is neither followed nor carried into the next revision.
func TestAPlantedSymlinkIsNeverFollowed(t *testing.T) {
	e := newEnv(t, addons.Options{})
	e.create(t, "s")
	s := e.put(t, "s", "a.txt", "a")
	outside := t.TempDir()
	if err := os.Symlink(outside, filepath.Join(e.m.Dir("s", s.Rev), "left4dead2", "cfg")); err != nil {
		t.Fatal(err)
	}
	if _, err := e.m.ReadFile(ctx, "s", "cfg/x"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("read through the link: %v", err)
	}
	s = e.put(t, "s", "cfg/x.cfg", "inside")
	if _, err := e.extract("s", "", zipOf(t, entry{name: "cfg/y.cfg", body: "y"})); err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(outside); len(ents) != 0 {
		t.Errorf("written through the link: %v", ents)
	}
	if got := e.read(t, "s", "cfg/x.cfg"); got != "inside" {
		t.Errorf("read %q", got)
	}
}

func TestArchiveEntryCap(t *testing.T) {
	e := newEnv(t, addons.Options{MaxFiles: 2})
	e.create(t, "s")
	before, _ := e.m.Set(ctx, "s")
	three := []entry{{name: "a.txt", body: "a"}, {name: "b.txt", body: "b"}, {name: "c.txt", body: "c"}}
	for _, archive := range [][]byte{zipOf(t, three...), tgzOf(t, three...)} {
		_, err := e.extract("s", "", archive)
		var ae *addons.ArchiveError
		if !errors.As(err, &ae) || ae.Entry != "c.txt" || !strings.Contains(ae.Reason, "at most 2 entries") {
			t.Errorf("three entries of at most two: %v", err)
		}
		e.unchanged(t, "s", before, map[string]string{})
	}
	// A zip's end record is read before its directory: a claim of more
	// entries than allowed is refused before they are.
	many := zipOf(t, three...)
	binary.LittleEndian.PutUint16(many[len(many)-12:], 60000)
	binary.LittleEndian.PutUint16(many[len(many)-14:], 60000)
	_, err := e.extract("s", "", many)
	var ae *addons.ArchiveError
	if !errors.As(err, &ae) || ae.Entry != "" || !strings.Contains(ae.Reason, "says it holds 60000 entries; an archive may hold at most 2") {
		t.Errorf("a zip claiming 60000 entries: %v", err)
	}
	_, err = e.extract("s", "../up", zipOf(t, three[0]))
	wantErr(t, err, store.ErrInvalid, `the path "../up" contains ".."`)
}

// A zip64 archive's count is read from its zip64 end record.
func TestAZip64EntryCountIsReadFirst(t *testing.T) {
	e := newEnv(t, addons.Options{MaxFiles: 100})
	e.create(t, "s")
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for i := 0; i < 0x10000; i++ {
		if _, err := zw.CreateHeader(&zip.FileHeader{Name: "d/", Method: zip.Store}); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	_, err := e.extract("s", "", buf.Bytes())
	var ae *addons.ArchiveError
	if !errors.As(err, &ae) || !strings.Contains(ae.Reason, "says it holds 65536 entries") {
		t.Errorf("a zip64 of 65536 entries: %v", err)
	}
}
