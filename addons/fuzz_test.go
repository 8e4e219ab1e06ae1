package addons_test

import (
	"archive/tar"
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/left4me/left4me/addons"
	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/store/storetest"
)

// A path CheckPath lets through stays inside the set however it is
// joined, and is already clean.
func FuzzCheckPath(f *testing.F) {
	for _, s := range []string{"cfg/a.cfg", "../x", "a/../../b", "/etc/passwd", "a//b", "./a", "a/.", "a\\b", "é/ü.cfg",
		"addons/sourcemod/plugins/x.smx", "\x00", "a/\x7f", "...", "..a/b..", strings.Repeat("a/", 40)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		err := addons.CheckPath(p)
		if err != nil {
			if !errors.Is(err, store.ErrInvalid) || !strings.Contains(err.Error(), "the path ") {
				t.Fatalf("CheckPath(%q) = %v, not an ErrInvalid sentence", p, err)
			}
			return
		}
		if path.Clean(p) != p || path.IsAbs(p) || p == "." {
			t.Fatalf("CheckPath let %q through, which is not a clean relative path", p)
		}
		for _, part := range strings.Split(p, "/") {
			if part == ".." || part == "." || part == "" {
				t.Fatalf("CheckPath let %q through with the part %q", p, part)
			}
		}
		if j := filepath.Join("/set", p); !strings.HasPrefix(j, "/set/") {
			t.Fatalf("CheckPath let %q through, which leaves /set as %s", p, j)
		}
		if strings.ContainsAny(p, "\\\x00") {
			t.Fatalf("CheckPath let %q through", p)
		}
	})
}

// Whatever bytes come as an archive, nothing is written outside the set,
// no link is made, and the set's row agrees with its files: all of an
// archive or none of it.
func FuzzExtractArchive(f *testing.F) {
	f.Add(zipOf(f, entry{name: "cfg/a.cfg", body: "a"}, entry{name: "addons/"}, entry{name: "addons/b.vpk", body: "vpk"}))
	f.Add(tgzOf(f, entry{name: "./"}, entry{name: "./cfg/a.cfg", body: "a"}, entry{name: "cfg/b/", body: ""}))
	f.Add(zipOf(f, entry{name: "cfg/a.cfg", body: "a"}, entry{name: "../evil", body: "x"}))
	f.Add(zipOf(f, entry{name: "cfg/etc", mode: os.ModeSymlink | 0o777, link: "/etc"}))
	f.Add(tgzOf(f, entry{name: "cfg", typeflag: tar.TypeSymlink, link: "../../../.."}, entry{name: "cfg/x", body: "x"}))
	f.Add(tgzOf(f, entry{name: "cfg/h", typeflag: tar.TypeLink, link: "/etc/passwd"}))
	f.Add(tgzOf(f, entry{name: "/abs", body: "x"}))
	f.Add(gunzip(f, tgzOf(f, entry{name: "left4dead2/cfg/a.cfg", body: "a"}, entry{name: "left4dead2/x", typeflag: tar.TypeChar})))
	f.Add([]byte("PK\x03\x04 not really"))
	f.Add([]byte{0x1f, 0x8b, 8, 0})

	base := f.TempDir()
	outside := filepath.Join(base, "outside")
	if err := os.Mkdir(outside, 0o755); err != nil {
		f.Fatal(err)
	}
	db := storetest.Open(f)
	m, err := addons.New(db, addons.Options{Root: filepath.Join(base, "root"), MaxBytes: 1 << 20, MaxFiles: 64, KeepReplaced: time.Nanosecond})
	if err != nil {
		f.Fatal(err)
	}
	addons.NoSync(m)
	if _, err := m.CreateSet(ctx, "s"); err != nil {
		f.Fatal(err)
	}
	if _, err := m.PutFile(ctx, "s", "cfg/keep.cfg", strings.NewReader("keep")); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, archive []byte) {
		before, err := m.Set(ctx, "s")
		if err != nil {
			t.Fatal(err)
		}
		after, err := m.ExtractArchive(ctx, "s", "into", bytes.NewReader(archive), int64(len(archive)))
		if err != nil {
			var ae *addons.ArchiveError
			if !errors.As(err, &ae) && !errors.Is(err, store.ErrInvalid) {
				t.Fatalf("an archive failed with %v (%T), not a refusal", err, err)
			}
			after, err = m.Set(ctx, "s")
			if err != nil {
				t.Fatal(err)
			}
			if after.Rev != before.Rev {
				t.Fatalf("a refused archive changed the set: %+v, was %+v", after, before)
			}
		}
		if ents, _ := os.ReadDir(outside); len(ents) != 0 {
			t.Fatalf("written outside the set: %v", ents)
		}
		var files int
		var size int64
		err = filepath.WalkDir(filepath.Join(base, "root"), func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && !d.Type().IsRegular() {
				t.Fatalf("%s is neither a file nor a directory (%s)", p, d.Type())
			}
			if d.Type().IsRegular() && strings.HasPrefix(p, filepath.Join(m.Dir("s", after.Rev), "left4dead2")+"/") {
				fi, err := d.Info()
				if err != nil {
					return err
				}
				files++
				size += fi.Size()
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if files != after.Files || size != after.Bytes {
			t.Fatalf("the set says %d files, %d bytes; its revision holds %d, %d", after.Files, after.Bytes, files, size)
		}
		if got, err := m.ReadFile(ctx, "s", "cfg/keep.cfg"); err != nil {
			t.Fatalf("the file beside the archive went: %v", err)
		} else {
			got.Close()
		}
		if _, err := m.GC(ctx, nil); err != nil {
			t.Fatal(err)
		}
	})
}
