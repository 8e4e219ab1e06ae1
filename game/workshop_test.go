package game

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWorkshopDownloadGivesTheItemsVPK(t *testing.T) {
	t.Parallel()
	r := newRig(t, "FAKESTEAMCMD_WORKSHOP_SIZE=100")
	var rec record
	s := r.steam(nil)
	path, err := s.WorkshopDownload(context.Background(), rec.hooks(nil), "123456789")
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "path", path, filepath.Join(r.dir, "steamapps", "workshop", "content", "550", "123456789", "123456789_fake.vpk"))
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "size", len(b), 100)
	equal(t, "steps", rec.steps, []string{"Downloading Workshop item 123456789 as anonymous."})
	if count(rec.lines, `Success. Downloaded item 123456789 to "`) != 1 {
		t.Errorf("lines %q", rec.lines)
	}
}

func TestWorkshopDownloadFailuresAreSentences(t *testing.T) {
	t.Parallel()
	r := newRig(t, "FAKESTEAMCMD_WORKSHOP_MISSING=404404")
	s := r.steam(nil)
	_, err := s.WorkshopDownload(context.Background(), Hooks{}, "404404")
	var f *Failure
	if !errors.As(err, &f) || !strings.Contains(err.Error(), "Steam did not give Workshop item 404404 (File Not Found)") ||
		!strings.Contains(err.Error(), "LEFT4ME_STEAM_USER") {
		t.Fatalf("a missing item: %v", err)
	}
	for _, bad := range []string{"", "12a", "../1", "0123", "123456789012345678901"} {
		if _, err := s.WorkshopDownload(context.Background(), Hooks{}, bad); err == nil || !strings.Contains(err.Error(), "is not a Workshop item id") {
			t.Errorf("id %q: %v", bad, err)
		}
	}
	// An item without a .vpk is no add-on.
	dir := s.WorkshopDir("77")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "readme.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := itemFile(dir, "77"); err == nil || !strings.Contains(err.Error(), "has no .vpk (it holds readme.txt)") {
		t.Fatalf("no vpk: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "77_legacy.bin"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if p, err := itemFile(dir, "77"); err != nil || filepath.Base(p) != "77_legacy.bin" {
		t.Fatalf("a legacy item: %q, %v", p, err)
	}
}

func TestWorkshopDownloadLogsInWithTheAccount(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	var rec record
	s := r.steam(func(o *Options) { o.Strategy, o.User = Account, "gabe" })
	if _, err := s.WorkshopDownload(context.Background(), rec.hooks(nil), "42"); err != nil {
		t.Fatal(err)
	}
	equal(t, "steps", rec.steps, []string{"Downloading Workshop item 42 as gabe."})
}
