package game

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// AppID is Steam's app id of the Left 4 Dead 2 dedicated server.
const AppID = "222860"

// ManifestPath is where steamcmd keeps the app's manifest, relative to
// the installation directory.
const ManifestPath = "steamapps/appmanifest_" + AppID + ".acf"

// ErrNotInstalled is returned by ReadManifest when the installation
// directory has no app manifest.
var ErrNotInstalled = errors.New("the game is not installed (no steamapps/appmanifest_" + AppID + ".acf)")

// StateFullyInstalled is the StateFlags bit Steam sets on a complete
// installation.
const StateFullyInstalled = 4

// Manifest is what steamapps/appmanifest_222860.acf says about an
// installation.
type Manifest struct {
	AppID      string
	Name       string
	InstallDir string
	// StateFlags is Steam's bit set (4: fully installed; 2: update
	// required; 1026 while an update runs).
	StateFlags uint64
	// BuildID is the installed build, "" when the manifest has none.
	BuildID string
	// TargetBuildID is the build an unfinished update was going to; ""
	// or BuildID when none is pending.
	TargetBuildID string
	// SizeOnDisk is the installation's size in bytes.
	SizeOnDisk int64
	// BytesToDownload and BytesDownloaded are the last update's download;
	// they differ while an update is half-finished.
	BytesToDownload, BytesDownloaded int64
	// LastUpdated is when Steam last changed the installation; zero when
	// the manifest does not say.
	LastUpdated time.Time
}

// Partial reports whether the last update was left half-finished: bytes
// downloaded differ from bytes to download, or Steam does not flag the
// installation fully installed.
func (m Manifest) Partial() bool {
	return m.BytesDownloaded != m.BytesToDownload || m.StateFlags&StateFullyInstalled == 0
}

// ReadManifest reads dir's steamapps/appmanifest_222860.acf. It returns
// an error wrapping ErrNotInstalled when the file does not exist, and one
// naming the file when it cannot be read or parsed.
func ReadManifest(dir string) (Manifest, error) {
	path := filepath.Join(dir, ManifestPath)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Manifest{}, fmt.Errorf("%s: %w", dir, ErrNotInstalled)
	}
	if err != nil {
		return Manifest{}, fmt.Errorf("read the game's manifest: %w", err)
	}
	m, err := parseManifest(string(b))
	if err != nil {
		return Manifest{}, fmt.Errorf("read the game's manifest %s: %w", path, err)
	}
	return m, nil
}

func parseManifest(src string) (Manifest, error) {
	root, err := parseVDF(src)
	if err != nil {
		return Manifest{}, err
	}
	st := root.get("AppState")
	if st == nil || !st.isBlock {
		return Manifest{}, fmt.Errorf("%w: no AppState block", errVDF)
	}
	var m Manifest
	var bad []string
	num := func(key string) int64 {
		s := st.str(key)
		if s == "" {
			return 0
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			bad = append(bad, key)
			return 0
		}
		return n
	}
	m.AppID = st.str("appid")
	m.Name = st.str("name")
	m.InstallDir = st.str("installdir")
	m.StateFlags = uint64(num("StateFlags"))
	m.BuildID = st.str("buildid")
	m.TargetBuildID = st.str("TargetBuildID")
	m.SizeOnDisk = num("SizeOnDisk")
	m.BytesToDownload = num("BytesToDownload")
	m.BytesDownloaded = num("BytesDownloaded")
	if sec := num("LastUpdated"); sec > 0 {
		m.LastUpdated = time.Unix(sec, 0).UTC()
	}
	if len(bad) > 0 {
		return m, fmt.Errorf("%w: %v are not numbers", errVDF, bad)
	}
	if m.AppID != "" && m.AppID != AppID {
		return m, fmt.Errorf("the manifest is for app %s, not %s", m.AppID, AppID)
	}
	return m, nil
}

// WriteManifest writes m as dir's steamapps/appmanifest_222860.acf, in
// the shape steamcmd writes it (flagged fully installed, everything
// downloaded). The simulated host and tests make installations with it;
// the panel never writes a real installation's manifest.
func WriteManifest(dir string, m Manifest) error {
	if m.AppID == "" {
		m.AppID = AppID
	}
	if m.StateFlags == 0 {
		m.StateFlags = StateFullyInstalled
	}
	var last int64
	if !m.LastUpdated.IsZero() {
		last = m.LastUpdated.Unix()
	}
	text := fmt.Sprintf("\"AppState\"\n{\n\t\"appid\"\t\t%q\n\t\"name\"\t\t%q\n\t\"StateFlags\"\t\t\"%d\"\n"+
		"\t\"installdir\"\t\t%q\n\t\"LastUpdated\"\t\t\"%d\"\n\t\"SizeOnDisk\"\t\t\"%d\"\n\t\"buildid\"\t\t%q\n"+
		"\t\"BytesToDownload\"\t\t\"%d\"\n\t\"BytesDownloaded\"\t\t\"%d\"\n\t\"TargetBuildID\"\t\t%q\n}\n",
		m.AppID, m.Name, m.StateFlags, m.InstallDir, last, m.SizeOnDisk, m.BuildID,
		m.BytesToDownload, m.BytesDownloaded, m.TargetBuildID)
	path := filepath.Join(dir, ManifestPath)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(text), 0o644)
}
