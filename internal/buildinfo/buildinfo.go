// Package buildinfo says which build of left4me is running, from what the
// Go toolchain records in every binary (runtime/debug.ReadBuildInfo).
package buildinfo

import (
	"runtime/debug"
	"strings"
)

// Version returns one line for `PROGRAM --version`: the module's version
// ("(devel)" for a build from a checkout), the commit, its time and
// whether the tree had changes, and the Go version, as far as the build
// recorded them.
func Version(program string) string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return program + " (no build information)"
	}
	return format(program, bi)
}

func format(program string, bi *debug.BuildInfo) string {
	version := bi.Main.Version
	if version == "" {
		version = "(unknown version)"
	}
	parts := []string{program, version}
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	if rev := settings["vcs.revision"]; rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if settings["vcs.modified"] == "true" {
			rev += "+changes"
		}
		parts = append(parts, "commit "+rev)
	}
	if t := settings["vcs.time"]; t != "" {
		parts = append(parts, t)
	}
	if bi.GoVersion != "" {
		parts = append(parts, bi.GoVersion)
	}
	return strings.Join(parts, " ")
}
