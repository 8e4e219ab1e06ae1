package deploy_test

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/left4me/left4me/hostbackend"
	"github.com/left4me/left4me/internal/layermount"
)

// shellScripts returns every file under deploy/ that starts with a
// shell shebang.
func shellScripts(t *testing.T) []string {
	t.Helper()
	var scripts []string
	err := filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !d.Type().IsRegular() {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		first, _ := bufio.NewReader(f).ReadString('\n')
		if regexp.MustCompile(`^#!\s*/(usr/)?bin/(env\s+)?(ba|da)?sh\b`).MatchString(first) {
			scripts = append(scripts, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{systemctlHelper, journalctlHelper, srcdsLauncher, "install.sh"} {
		if !slices.Contains(scripts, want) {
			t.Fatalf("%s is not found as a shell script (found %q)", want, scripts)
		}
	}
	return scripts
}

func command(t *testing.T, name string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	return string(out), err
}

func TestShellScriptsParseAndAreExecutable(t *testing.T) {
	t.Parallel()
	for _, s := range shellScripts(t) {
		t.Run(s+" parses with sh -n", func(t *testing.T) {
			t.Parallel()
			if out, err := command(t, "sh", "-n", s); err != nil {
				t.Errorf("sh -n %s: %v\n%s", s, err, out)
			}
			info, err := os.Stat(s)
			if err != nil {
				t.Fatal(err)
			}
			if info.Mode().Perm()&0o111 != 0o111 {
				t.Errorf("%s has mode %v; scripts must be executable", s, info.Mode())
			}
		})
	}
}

func TestShellScriptsPassShellcheck(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("shellcheck"); err != nil {
		t.Skip("shellcheck not installed")
	}
	scripts := shellScripts(t)
	if out, err := command(t, "shellcheck", append([]string{"--severity=style"}, scripts...)...); err != nil {
		t.Errorf("shellcheck: %v\n%s", err, out)
	}
}

func TestShellScriptsSetTheirOwnEnvironment(t *testing.T) {
	t.Parallel()
	for _, s := range []string{systemctlHelper, journalctlHelper, "install.sh"} {
		data, err := os.ReadFile(s)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(string(data), "\n")
		equal(t, s+" shebang", lines[0], "#!/bin/sh")
		for _, want := range []string{"set -eu", "export LC_ALL=C", "export PATH"} {
			if !slices.Contains(lines, want) {
				t.Errorf("%s lacks the line %q", s, want)
			}
		}
		if !regexp.MustCompile(`(?m)^PATH=/[^$]*$`).Match(data) {
			t.Errorf("%s does not set PATH to a fixed value", s)
		}
	}
}

func TestSudoersFileParses(t *testing.T) {
	t.Parallel()
	visudo, err := exec.LookPath("visudo")
	if err != nil {
		if _, err := os.Stat("/usr/sbin/visudo"); err != nil {
			t.Skip("visudo not installed")
		}
		visudo = "/usr/sbin/visudo"
	}
	if out, err := command(t, visudo, "-cf", "sudoers/left4me"); err != nil {
		t.Errorf("visudo -cf sudoers/left4me: %v\n%s", err, out)
	}
}

func TestSudoersFileAllowsExactlyTheHelpers(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("sudoers/left4me")
	if err != nil {
		t.Fatal(err)
	}
	// Join continuation lines and drop comments.
	text := strings.ReplaceAll(string(data), "\\\n", " ")
	var rules []string
	for _, l := range strings.Split(text, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			rules = append(rules, strings.Join(strings.Fields(l), " "))
		}
	}
	equal(t, "rules", rules, []string{
		"Cmnd_Alias LEFT4ME_HELPERS = /usr/local/libexec/left4me/left4me-systemctl, /usr/local/libexec/left4me/left4me-journalctl",
		"Defaults:left4me !requiretty",
		"Defaults:left4me !pam_session",
		"left4me ALL = (root) NOPASSWD: LEFT4ME_HELPERS",
	})
	code := strings.Join(rules, "\n")
	for _, bad := range []string{"*", "?", "[", "SETENV", "env_keep", "!env_reset", "NOEXEC", ": ALL", "(ALL"} {
		if strings.Contains(code, bad) {
			t.Errorf("sudoers rules contain %q", bad)
		}
	}
}

// unitFile is a systemd unit parsed as INI-ish text: section → key →
// values in order. An empty assignment ("Key=") is kept as "".
type unitFile map[string]map[string][]string

func parseUnit(t *testing.T, path string) unitFile {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	u := unitFile{}
	section := ""
	text := strings.ReplaceAll(string(data), "\\\n", " ")
	for i, l := range strings.Split(text, "\n") {
		l = strings.TrimSpace(l)
		switch {
		case l == "" || strings.HasPrefix(l, "#") || strings.HasPrefix(l, ";"):
		case strings.HasPrefix(l, "[") && strings.HasSuffix(l, "]"):
			section = l[1 : len(l)-1]
			if u[section] == nil {
				u[section] = map[string][]string{}
			}
		default:
			key, value, ok := strings.Cut(l, "=")
			if !ok || section == "" {
				t.Fatalf("%s:%d: not a key=value line in a section: %q", path, i+1, l)
			}
			key = strings.TrimSpace(key)
			u[section][key] = append(u[section][key], strings.TrimSpace(value))
		}
	}
	return u
}

// want checks that section.key has exactly the given values.
func (u unitFile) want(t *testing.T, section, key string, values ...string) {
	t.Helper()
	equal(t, section+"."+key, u[section][key], values)
}

// wantAbsent checks that no section sets key.
func (u unitFile) wantAbsent(t *testing.T, key string) {
	t.Helper()
	for section, keys := range u {
		if v, ok := keys[key]; ok {
			t.Errorf("%s.%s is set to %q; it must not be", section, key, v)
		}
	}
}

func TestServerUnitSettings(t *testing.T) {
	t.Parallel()
	u := parseUnit(t, "systemd/left4me-server@.service")
	u.want(t, "Unit", "Description", "Left 4 Dead 2 server %i")
	u.want(t, "Unit", "After", "network-online.target")
	u.want(t, "Unit", "Wants", "network-online.target")
	u.want(t, "Unit", "StartLimitIntervalSec", "300")
	u.want(t, "Unit", "StartLimitBurst", "5")
	// exec: ExecStartPost= runs once left4me-srcds runs, in its namespace.
	u.want(t, "Service", "Type", "exec")
	u.want(t, "Service", "User", "left4me")
	u.want(t, "Service", "Group", "left4me")
	// Root's settings only: left4me-srcds reads instance.env, as left4me.
	u.want(t, "Service", "EnvironmentFile", "-/etc/left4me/server.env")
	u.want(t, "Service", "WorkingDirectory", "/var/lib/left4me/instances/%i")
	u.want(t, "Service", "ExecStart", "/usr/local/libexec/left4me/left4me-srcds")
	// The add-on layers, mounted by the root helper in the main process's
	// mount namespace alone (deploy/README.md: what systemd 252 does).
	u.want(t, "Service", "ExecStartPost",
		"-+/usr/bin/nsenter --target=${MAINPID} --mount -- /usr/local/libexec/left4me/left4me-layers mount %i")
	u.wantAbsent(t, "ExecStartPre")
	u.wantAbsent(t, "ExecStopPost")
	u.want(t, "Service", "Restart", "on-failure")
	u.want(t, "Service", "RestartSec", "5")
	u.want(t, "Service", "KillSignal", "SIGINT")
	u.want(t, "Service", "TimeoutStopSec", "30")
	u.want(t, "Service", "MemoryMax", "4G")
	u.want(t, "Service", "TasksMax", "256")
	u.want(t, "Service", "NoNewPrivileges", "yes")
	u.want(t, "Service", "ProtectSystem", "strict")
	u.wantAbsent(t, "ReadWritePaths")
	// Where left4me-srcds puts the instance's server.cfg for srcds: a
	// tmpfs in the unit's own mount namespace, below root's /run.
	u.want(t, "Service", "TemporaryFileSystem", "/run/left4me-instance:mode=1777,nosuid,nodev,noexec")
	u.wantAbsent(t, "BindReadOnlyPaths")
	for _, key := range []string{"ProtectHome", "PrivateTmp", "PrivateDevices", "ProtectKernelTunables",
		"ProtectKernelModules", "ProtectControlGroups", "RestrictNamespaces", "LockPersonality",
		"RestrictRealtime", "RestrictSUIDSGID"} {
		u.want(t, "Service", key, "yes")
	}
	u.want(t, "Service", "CapabilityBoundingSet", "")
	// srcds is a 32-bit program: x86 system calls must stay allowed.
	u.want(t, "Service", "SystemCallArchitectures", "native x86")
	u.wantAbsent(t, "MemoryDenyWriteExecute")
	u.want(t, "Install", "WantedBy", "multi-user.target")
}

// stateRoot is left4me's state root: the left4me user owns it and all
// below it (instances/, the game), so it can put a symlink anywhere there.
const stateRoot = "/var/lib/left4me"

// TestNoMountBelowTheStateRoot: PID 1 sets a unit's mounts up as root and
// creates a missing mount point (directories and an empty file) first,
// following symlinks. A mount point below the state root would let the
// left4me user make root create files wherever a symlink there points,
// which it could with the old bind over the game's cfg/left4me-server.cfg.
func TestNoMountBelowTheStateRoot(t *testing.T) {
	t.Parallel()
	below := func(path string) bool {
		path = strings.TrimLeft(path, "-+")
		return path == stateRoot || strings.HasPrefix(path, stateRoot+"/")
	}
	for _, file := range []string{"systemd/left4me-server@.service", "systemd/left4me-web.service"} {
		u := parseUnit(t, file)
		for key, values := range u["Service"] {
			for _, v := range values {
				var dests []string
				switch key {
				case "BindPaths", "BindReadOnlyPaths":
					// SRC[:DEST[:OPTIONS]], several separated by spaces
					for _, f := range strings.Fields(v) {
						src, dest, ok := strings.Cut(f, ":")
						if !ok {
							dest = src
						}
						dest, _, _ = strings.Cut(dest, ":")
						dests = append(dests, dest)
					}
				case "TemporaryFileSystem":
					for _, f := range strings.Fields(v) {
						dest, _, _ := strings.Cut(f, ":")
						dests = append(dests, dest)
					}
				case "InaccessiblePaths", "ReadOnlyPaths", "ExecPaths", "NoExecPaths", "RootDirectory":
					dests = strings.Fields(v)
				case "StateDirectory", "RuntimeDirectory", "CacheDirectory", "LogsDirectory", "ConfigurationDirectory":
					t.Errorf("%s sets %s=%s: PID 1 would create and chown directories as root", file, key, v)
				}
				for _, d := range dests {
					if below(d) {
						t.Errorf("%s: %s=%s mounts on %s, below %s, which left4me controls", file, key, v, d, stateRoot)
					}
				}
			}
		}
	}
	// ReadWritePaths= only re-mounts a path writable where it is, and a
	// missing one fails the start: systemd creates nothing for it. But it
	// follows symlinks there as root (TestServerUnitLeavesTheStateRootToLeft4me),
	// so only the state root itself, in root's /var/lib, may be one.
	equal(t, "panel unit ReadWritePaths", parseUnit(t, "systemd/left4me-web.service")["Service"]["ReadWritePaths"],
		[]string{stateRoot})
}

// TestServerUnitLeavesTheStateRootToLeft4me: nothing root does for the
// instance unit may read or follow a path below the state root. PID 1
// reads an EnvironmentFile= as root (a symlink to a root-only file put
// its secrets in srcds's environment), resolves symlinks in mount paths
// such as ReadWritePaths= as root, and checks conditions as root. Only
// WorkingDirectory= may name such a path: systemd enters it after
// switching to User=, as left4me.
func TestServerUnitLeavesTheStateRootToLeft4me(t *testing.T) {
	t.Parallel()
	u := parseUnit(t, "systemd/left4me-server@.service")
	// %h is left4me's home, the state root; %S is /var/lib.
	names := func(v string) bool {
		return strings.Contains(v, stateRoot) || strings.Contains(v, "%h") || strings.Contains(v, "%S") ||
			strings.HasPrefix(strings.TrimLeft(v, "-+!@:"), "~")
	}
	var named []string
	for section, keys := range u {
		for key, values := range keys {
			for _, v := range values {
				if names(v) {
					named = append(named, section+"."+key+"="+v)
				}
			}
		}
	}
	slices.Sort(named)
	equal(t, "settings naming a path below "+stateRoot, named,
		[]string{"Service.WorkingDirectory=" + stateRoot + "/instances/%i"})
	u.want(t, "Service", "User", "left4me")
}

// TestServerCfgPathsAgree: the unit's tmpfs, the launcher's copy of the
// instance's server.cfg in it, and the game's link that install.sh and the
// panel make must all name the same place.
func TestServerCfgPathsAgree(t *testing.T) {
	t.Parallel()
	tmpfs, _, _ := strings.Cut(parseUnit(t, "systemd/left4me-server@.service")["Service"]["TemporaryFileSystem"][0], ":")
	equal(t, "the launcher's line", cfgDirLine, "cfgdir="+tmpfs)
	equal(t, "the panel's link target", hostbackend.ServerCfgLinkTarget, tmpfs+"/server.cfg")
	equal(t, "the link's name", hostbackend.ServerCfgLinkName, "left4me-server.cfg")
	install, err := os.ReadFile("install.sh")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"\ncfg_link_target=" + hostbackend.ServerCfgLinkTarget + "\n",
		"/var/lib/left4me/game/left4dead2/cfg/" + hostbackend.ServerCfgLinkName} {
		if !strings.Contains(string(install), want) {
			t.Errorf("install.sh lacks %q", want)
		}
	}
	launcher, err := os.ReadFile(srcdsLauncher)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(launcher), "set -- +servercfgfile "+hostbackend.ServerCfgLinkName+" \"$@\"") {
		t.Errorf("%s does not pass +servercfgfile %s", srcdsLauncher, hostbackend.ServerCfgLinkName)
	}
}

// TestLayersPathsAgree: the unit's tmpfs, where the layers helper mounts
// the overlay and where the launcher waits for it and runs the game, and
// the helper's installed path in the unit and in install.sh.
func TestLayersPathsAgree(t *testing.T) {
	t.Parallel()
	u := parseUnit(t, "systemd/left4me-server@.service")
	tmpfs, _, _ := strings.Cut(u["Service"]["TemporaryFileSystem"][0], ":")
	equal(t, "the helper's tmpfs", layermount.InstanceTmpfs, tmpfs)
	equal(t, "the helper's state root", layermount.StateRoot, stateRoot)
	equal(t, "the helper's layers file", layermount.LayersFile, hostbackend.LayersFile)
	equal(t, "the helper's most add-on sets", layermount.MaxSets, hostbackend.MaxLayerSets)
	equal(t, "the helper's longest build id", layermount.MaxBuildLen, hostbackend.MaxBuildLen)
	launcher, err := os.ReadFile(srcdsLauncher)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"\nmerged=$cfgdir/" + layermount.MergedName + "\n",
		"\nif [ -e " + hostbackend.LayersFile + " ] || [ -L " + hostbackend.LayersFile + " ]; then\n"} {
		if !strings.Contains(string(launcher), want) {
			t.Errorf("%s lacks %q", srcdsLauncher, want)
		}
	}
	const installed = "/usr/local/libexec/left4me/left4me-layers"
	if !strings.Contains(u["Service"]["ExecStartPost"][0], " "+installed+" mount %i") {
		t.Errorf("the unit does not run %s", installed)
	}
	install, err := os.ReadFile("install.sh")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(install), "install_file 755 \"$layers_helper\" "+installed+"\n") {
		t.Errorf("install.sh does not install the helper as %s", installed)
	}
}

func TestWebUnitSettings(t *testing.T) {
	t.Parallel()
	u := parseUnit(t, "systemd/left4me-web.service")
	u.want(t, "Service", "Type", "simple")
	u.want(t, "Service", "User", "left4me")
	u.want(t, "Service", "ExecStart", "/usr/local/bin/left4me serve")
	u.want(t, "Service", "EnvironmentFile", "-/etc/left4me/web.env")
	u.want(t, "Service", "Environment", "LEFT4ME_DB=/var/lib/left4me/left4me.db LEFT4ME_BACKEND=sudo")
	u.want(t, "Service", "Restart", "on-failure")
	u.want(t, "Service", "ProtectSystem", "strict")
	u.want(t, "Service", "ReadWritePaths", "/var/lib/left4me")
	// A stop signals the panel alone, which lets its jobs finish or puts
	// them back in the queue; the stop timeout outlasts the default grace.
	u.want(t, "Service", "KillMode", "mixed")
	u.want(t, "Service", "TimeoutStopSec", "60")
	// Room for LEFT4ME_MAX_CONNS connections and the rest.
	u.want(t, "Service", "LimitNOFILE", "65536")
	u.want(t, "Install", "WantedBy", "multi-user.target")
	// sudo must keep working inside the panel's sandbox.
	for _, key := range []string{"NoNewPrivileges", "AmbientCapabilities", "PrivateUsers", "DynamicUser"} {
		u.wantAbsent(t, key)
	}
	// What root may have in here: what sudo needs, nothing the helpers do not.
	u.want(t, "Service", "CapabilityBoundingSet", "CAP_SETUID CAP_SETGID CAP_AUDIT_WRITE")
	u.want(t, "Service", "ProtectProc", "invisible")
	u.want(t, "Service", "PrivateIPC", "yes")
	u.want(t, "Service", "RemoveIPC", "yes")
	// The panel's listen backlog comes from /proc/sys/net/core/somaxconn.
	u.wantAbsent(t, "ProcSubset")
	for _, f := range u["Service"]["SystemCallFilter"] {
		if strings.Contains(f, "setuid") || strings.Contains(f, "@privileged") || strings.HasPrefix(f, "~") {
			t.Errorf("SystemCallFilter=%s could block sudo", f)
		}
	}
}

// TestUnitsPassSystemdAnalyzeVerify is best effort: systemd-analyze is
// often missing, and the units' programs are not installed here, which it
// reports too. Only complaints about the unit files' own lines fail.
func TestUnitsPassSystemdAnalyzeVerify(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("systemd-analyze"); err != nil {
		t.Skip("systemd-analyze not installed")
	}
	for _, unit := range []string{"systemd/left4me-server@.service", "systemd/left4me-web.service"} {
		t.Run(unit+" has no line systemd rejects", func(t *testing.T) {
			t.Parallel()
			abs, err := filepath.Abs(unit)
			if err != nil {
				t.Fatal(err)
			}
			out, err := command(t, "systemd-analyze", "verify", abs)
			if err != nil {
				t.Logf("systemd-analyze verify %s: %v\n%s", unit, err, out)
			}
			for _, l := range strings.Split(out, "\n") {
				if strings.HasPrefix(l, abs+":") {
					t.Errorf("systemd-analyze: %s", l)
				}
			}
		})
	}
}
