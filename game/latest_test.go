package game

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLatestBuild(t *testing.T) {
	t.Parallel()
	r := newRig(t, "FAKESTEAMCMD_BUILDID=424242")
	// A stale cache from an earlier check: the fake answers from it while
	// it exists, as steamcmd can.
	cache := filepath.Join(r.root, "appcache", "appinfo.vdf")
	if err := os.MkdirAll(filepath.Dir(cache), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cache, []byte("fakesteamcmd app info cache\nbuildid 1111\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var rec record
	id, err := r.steam(nil).LatestBuild(context.Background(), rec.hooks(nil))
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "build id", id, "424242")
	if count(rec.lines, `"buildid"		"424242"`) != 1 {
		t.Errorf("the app info is not in the output lines")
	}
}

func TestLatestBuildRetriesWhenNothingIsPrinted(t *testing.T) {
	t.Parallel()
	r := newRig(t, "FAKESTEAMCMD_BUILDID=515151", "FAKESTEAMCMD_APPINFO_EMPTY=2")
	var rec record
	id, err := r.steam(nil).LatestBuild(context.Background(), rec.hooks(nil))
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "build id", id, "515151")
	equal(t, "empty answers", count(rec.lines, "No app info for AppID 222860 found"), 2)
}

func TestLatestBuildUnknown(t *testing.T) {
	t.Parallel()
	r := newRig(t, "FAKESTEAMCMD_APPINFO_EMPTY=always")
	var rec record
	id, err := r.steam(nil).LatestBuild(context.Background(), rec.hooks(nil))
	if !errors.Is(err, ErrBuildUnknown) {
		t.Fatalf("LatestBuild = %q, %v; want ErrBuildUnknown", id, err)
	}
	equal(t, "build id", id, "")
	if !strings.Contains(err.Error(), "the latest build is unknown") || !strings.Contains(err.Error(), "in 3 tries") {
		t.Errorf("error %q", err)
	}
	equal(t, "tries", count(rec.steps, "Asking Steam for the latest build"), 3)
}

func TestLatestBuildRefusedLoginIsFinal(t *testing.T) {
	t.Parallel()
	r := newRig(t, "FAKESTEAMCMD_RATE_LIMIT=1")
	var rec record
	_, err := r.steam(nil).LatestBuild(context.Background(), rec.hooks(nil))
	failure(t, err, ReasonRateLimit)
	equal(t, "tries", count(rec.steps, "Asking Steam for the latest build"), 1)
}

func TestAppInfoBuild(t *testing.T) {
	lines := strings.Split(`Steam>AppID : 222860, change number : 27412345/0, last change : Mon Jan 27 10:02:03 2025
"222860"
{
	"common"
	{
		"name"		"Left 4 Dead 2 Dedicated Server"
	}
	"depots"
	{
		"branches"
		{
			"beta"
			{
				"buildid"		"999"
			}
			"public"
			{
				"buildid"		"16412345"
				"timeupdated"		"1737515347"
			}
		}
	}
}
Unloading Steam API...OK`, "\n")
	equal(t, "build", appInfoBuild(lines), "16412345")
	equal(t, "build of a cut-off block", appInfoBuild(lines[:10]), "")
	equal(t, "build of nothing", appInfoBuild([]string{"No app info for AppID 222860 found, requesting..."}), "")
}
