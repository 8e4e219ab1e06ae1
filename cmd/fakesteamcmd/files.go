package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// manifest is what fakesteamcmd keeps in appmanifest_222860.acf.
type manifest struct {
	buildID     string
	target      string
	stateFlags  int
	toDownload  int64
	downloaded  int64
	sizeOnDisk  int64
	lastUpdated int64
}

func (m manifest) complete() bool {
	return m.stateFlags&4 != 0 && m.toDownload == m.downloaded
}

func manifestPath(dir string) string {
	return filepath.Join(dir, "steamapps", "appmanifest_"+appID+".acf")
}

// writeManifest writes the manifest in Steam's layout: KeyValues text,
// a tab before each key and two between key and value.
func writeManifest(dir string, m manifest) error {
	var b strings.Builder
	kv := func(indent int, k, v string) {
		fmt.Fprintf(&b, "%s\"%s\"\t\t\"%s\"\n", strings.Repeat("\t", indent), k, v)
	}
	open := func(indent int, k string) {
		fmt.Fprintf(&b, "%s\"%s\"\n%s{\n", strings.Repeat("\t", indent), k, strings.Repeat("\t", indent))
	}
	end := func(indent int) { fmt.Fprintf(&b, "%s}\n", strings.Repeat("\t", indent)) }
	n := func(v int64) string { return strconv.FormatInt(v, 10) }
	last := m.lastUpdated
	if last == 0 {
		last = time.Now().Unix()
	}
	open(0, "AppState")
	kv(1, "appid", appID)
	kv(1, "Universe", "1")
	kv(1, "name", appName)
	kv(1, "StateFlags", strconv.Itoa(m.stateFlags))
	kv(1, "installdir", appName)
	kv(1, "LastUpdated", n(last))
	kv(1, "SizeOnDisk", n(m.sizeOnDisk))
	kv(1, "StagingSize", "0")
	kv(1, "buildid", m.buildID)
	kv(1, "LastOwner", "0")
	kv(1, "UpdateResult", "0")
	kv(1, "BytesToDownload", n(m.toDownload))
	kv(1, "BytesDownloaded", n(m.downloaded))
	kv(1, "BytesToStage", n(m.toDownload))
	kv(1, "BytesStaged", n(m.downloaded))
	kv(1, "TargetBuildID", m.target)
	kv(1, "AutoUpdateBehavior", "0")
	kv(1, "AllowOtherDownloadsWhileRunning", "0")
	kv(1, "ScheduledAutoUpdate", "0")
	open(1, "InstalledDepots")
	for i, depot := range []string{"222861", "222862", "222863"} {
		open(2, depot)
		kv(3, "manifest", strconv.FormatUint(uint64(4611686018427387904)+uint64(i)*7919+uint64(len(m.buildID)), 10))
		kv(3, "size", n(m.sizeOnDisk/3))
		end(2)
	}
	end(1)
	open(1, "UserConfig")
	kv(2, "language", "english")
	end(1)
	open(1, "MountedConfig")
	kv(2, "language", "english")
	end(1)
	end(0)
	path := manifestPath(dir)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(b.String()), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

var manifestField = regexp.MustCompile(`(?m)^\t"([A-Za-z]+)"\t\t"([^"]*)"$`)

// readManifest reads back what writeManifest wrote (only the top-level
// fields it needs); false when there is no manifest.
func readManifest(dir string) (manifest, bool) {
	b, err := os.ReadFile(manifestPath(dir))
	if err != nil {
		return manifest{}, false
	}
	var m manifest
	for _, f := range manifestField.FindAllStringSubmatch(string(b), -1) {
		v, _ := strconv.ParseInt(f[2], 10, 64)
		switch f[1] {
		case "buildid":
			m.buildID = f[2]
		case "TargetBuildID":
			m.target = f[2]
		case "StateFlags":
			m.stateFlags = int(v)
		case "BytesToDownload":
			m.toDownload = v
		case "BytesDownloaded":
			m.downloaded = v
		case "SizeOnDisk":
			m.sizeOnDisk = v
		case "LastUpdated":
			m.lastUpdated = v
		}
	}
	return m, true
}

// appInfo is what app_info_print prints for app 222860: a header line,
// then the app's KeyValues block, the public branch's build id under
// depots → branches.
func appInfo(buildID string, now time.Time) string {
	var b strings.Builder
	fmt.Fprintf(&b, "AppID : %s, change number : 27412345/0, last change : %s\n", appID, now.UTC().Format("Mon Jan _2 15:04:05 2006"))
	updated := strconv.FormatInt(now.Add(-72*time.Hour).Unix(), 10)
	b.WriteString(`"222860"
{
	"common"
	{
		"name"		"Left 4 Dead 2 Dedicated Server"
		"type"		"Tool"
		"oslist"		"windows,linux"
		"gameid"		"222860"
	}
	"config"
	{
		"installdir"		"Left 4 Dead 2 Dedicated Server"
		"launch"
		{
			"0"
			{
				"executable"		"srcds.exe"
				"arguments"		"-console -game left4dead2"
				"config"
				{
					"oslist"		"windows"
				}
			}
		}
	}
	"depots"
	{
		"222861"
		{
			"name"		"Left 4 Dead 2 Dedicated Server Content"
		}
		"222862"
		{
			"config"
			{
				"oslist"		"windows"
			}
		}
		"222863"
		{
			"config"
			{
				"oslist"		"linux"
			}
		}
		"branches"
		{
			"public"
			{
				"buildid"		"` + buildID + `"
				"timeupdated"		"` + updated + `"
			}
			"previous"
			{
				"buildid"		"1000001"
				"description"		"the build before"
				"timeupdated"		"1300000000"
			}
		}
	}
}
`)
	return b.String()
}
