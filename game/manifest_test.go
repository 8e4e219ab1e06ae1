package game

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// realManifest is shaped like a manifest steamcmd writes: tabs, two
// between key and value, nested blocks.
const realManifest = `"AppState"
{
	"appid"		"222860"
	"Universe"		"1"
	"name"		"Left 4 Dead 2 Dedicated Server"
	"StateFlags"		"4"
	"installdir"		"Left 4 Dead 2 Dedicated Server"
	"LastUpdated"		"1737515347"
	"SizeOnDisk"		"10284522372"
	"StagingSize"		"0"
	"buildid"		"16412345"
	"LastOwner"		"0"
	"UpdateResult"		"0"
	"BytesToDownload"		"9876543210"
	"BytesDownloaded"		"9876543210"
	"BytesToStage"		"10284522372"
	"BytesStaged"		"10284522372"
	"TargetBuildID"		"16412345"
	"AutoUpdateBehavior"		"0"
	"AllowOtherDownloadsWhileRunning"		"0"
	"ScheduledAutoUpdate"		"0"
	"InstalledDepots"
	{
		"222861"
		{
			"manifest"		"4611686018427387904"
			"size"		"8213486190"
		}
		"222863"
		{
			"manifest"		"7611686018427387911"
			"size"		"2071036182"
		}
	}
	"UserConfig"
	{
		"language"		"english"
	}
	"MountedConfig"
	{
		"language"		"english"
	}
}
`

func writeManifestFile(t *testing.T, content string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "steamapps"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ManifestPath), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestReadManifest(t *testing.T) {
	m, err := ReadManifest(writeManifestFile(t, realManifest))
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "manifest", m, Manifest{
		AppID: "222860", Name: "Left 4 Dead 2 Dedicated Server", InstallDir: "Left 4 Dead 2 Dedicated Server",
		StateFlags: 4, BuildID: "16412345", TargetBuildID: "16412345", SizeOnDisk: 10284522372,
		BytesToDownload: 9876543210, BytesDownloaded: 9876543210, LastUpdated: time.Unix(1737515347, 0).UTC(),
	})
	equal(t, "Partial", m.Partial(), false)
}

func TestReadManifestHalfFinishedUpdate(t *testing.T) {
	half := strings.NewReplacer(
		`"BytesDownloaded"		"9876543210"`, `"BytesDownloaded"		"4938271605"`,
		`"StateFlags"		"4"`, `"StateFlags"		"1026"`,
		`"TargetBuildID"		"16412345"`, `"TargetBuildID"		"16499999"`,
	).Replace(realManifest)
	m, err := ReadManifest(writeManifestFile(t, half))
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "Partial", m.Partial(), true)
	equal(t, "BuildID", m.BuildID, "16412345")
	equal(t, "TargetBuildID", m.TargetBuildID, "16499999")
}

func TestReadManifestNotFullyInstalledIsPartial(t *testing.T) {
	m, err := ReadManifest(writeManifestFile(t, strings.Replace(realManifest, `"StateFlags"		"4"`, `"StateFlags"		"6"`, 1)))
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "Partial with bytes equal but StateFlags 6", m.Partial(), false)
	m, err = ReadManifest(writeManifestFile(t, strings.Replace(realManifest, `"StateFlags"		"4"`, `"StateFlags"		"2"`, 1)))
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "Partial with StateFlags 2 (update required)", m.Partial(), true)
}

func TestReadManifestMissing(t *testing.T) {
	_, err := ReadManifest(t.TempDir())
	if !errors.Is(err, ErrNotInstalled) {
		t.Errorf("ReadManifest(empty dir) = %v, want ErrNotInstalled", err)
	}
}

func TestReadManifestRefuses(t *testing.T) {
	for _, tt := range []struct{ name, content, wantIn string }{
		{"broken text", "\"AppState\"\n{\n\t\"buildid\" \"1\"\n", "not valid KeyValues text"},
		{"no AppState", "\"Other\" { \"a\" \"b\" }", "no AppState block"},
		{"a number that is not one", strings.Replace(realManifest, `"SizeOnDisk"		"10284522372"`, `"SizeOnDisk"		"lots"`, 1), "SizeOnDisk"},
		{"another app", strings.Replace(realManifest, `"appid"		"222860"`, `"appid"		"740"`, 1), "app 740"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadManifest(writeManifestFile(t, tt.content))
			if err == nil || errors.Is(err, ErrNotInstalled) || !strings.Contains(err.Error(), tt.wantIn) {
				t.Errorf("ReadManifest = %v, want an error with %q", err, tt.wantIn)
			}
		})
	}
}
