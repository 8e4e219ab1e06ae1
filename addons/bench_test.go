package addons_test

import (
	"bytes"
	"fmt"
	"math/rand"
	"strings"
	"testing"

	"github.com/left4me/left4me/addons"
)

// bigArchive is an archive of n files of 1 MiB each, incompressible like
// the .vpk files most of a set's bytes are.
func bigArchive(b *testing.B, kind string, n int) []byte {
	rnd := rand.New(rand.NewSource(1))
	entries := make([]entry, n)
	for i := range entries {
		data := make([]byte, 1<<20)
		rnd.Read(data)
		entries[i] = entry{name: fmt.Sprintf("addons/map%03d.vpk", i), body: string(data)}
	}
	if kind == "zip" {
		return zipOf(b, entries...)
	}
	return tgzOf(b, entries...)
}

// Extracting a 100 MiB archive into a set, fsyncs included; the speed is
// of the archive's bytes.
func BenchmarkExtract100MiB(b *testing.B) {
	for _, kind := range []string{"zip", "tar.gz"} {
		b.Run(kind, func(b *testing.B) {
			archive := bigArchive(b, kind, 100)
			e := newEnv(b, addons.Options{})
			e.create(b, "s")
			b.SetBytes(int64(len(archive)))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := e.m.ExtractArchive(ctx, "s", fmt.Sprint(i), bytes.NewReader(archive), int64(len(archive))); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				if _, err := e.m.DeleteFile(ctx, "s", fmt.Sprint(i)); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
		})
	}
}

// One small change of a set of 5000 files: the cost of the hard-link
// clone, the fsyncs and the swap.
func BenchmarkPutIntoASetOf5000Files(b *testing.B) {
	e := newEnv(b, addons.Options{})
	e.create(b, "s")
	entries := make([]entry, 5000)
	for i := range entries {
		entries[i] = entry{name: fmt.Sprintf("d%02d/f%04d.cfg", i%50, i), body: "x"}
	}
	archive := zipOf(b, entries...)
	if _, err := e.m.ExtractArchive(ctx, "s", "", bytes.NewReader(archive), int64(len(archive))); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := e.m.PutFile(ctx, "s", "cfg/a.cfg", strings.NewReader("x")); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if _, err := e.m.GC(ctx, nil); err != nil {
		b.Fatal(err)
	}
}
