package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// The container's root file system: Debian 12, minbase, plus what
// systemd, install.sh and the checks need. Changing this list changes
// the cache key, so the next run builds a new root.
const (
	suite   = "bookworm"
	variant = "minbase"
	// rootfsVersion is bumped when the way the root is built changes.
	rootfsVersion = "1"
)

var rootPackages = []string{
	"systemd-sysv", // systemd as PID 1
	"dbus",         // systemctl talks to PID 1 over it
	"sudo",         // the panel's only way to root
	"ca-certificates",
	"iproute2",
	"procps", // ps, pgrep, kill for the checks
	"curl",   // GET /healthz from inside
	// What install.sh installs for the game (its 32-bit runtime), and
	// dpkg knows the i386 architecture (foreignArch): the container has
	// no network, so install.sh finds them there, as on a host where it
	// ran before, and installs nothing.
	"lib32gcc-s1",
	"lib32stdc++6",
	"libc6-i386",
}

// foreignArch is added to dpkg's architectures after the packages are
// in, as install.sh adds it. Not through mmdebstrap's --architectures,
// which would fetch i386 package lists no package here needs.
const foreignArch = "i386"

// hostTools are the host commands the bed runs, with the Debian package
// that brings each one.
var hostTools = []struct{ cmd, pkg string }{
	{"systemd-nspawn", "systemd-container"},
	{"mmdebstrap", "mmdebstrap"},
	{"zstd", "zstd"},
	{"unshare", "util-linux"},
	{"nsenter", "util-linux"},
}

// errSkip means this machine cannot run the bed; nothing was checked.
var errSkip = errors.New("skip")

func skipf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errSkip}, args...)...)
}

// ensureHostTools installs the missing host tools with apt-get.
func ensureHostTools(ctx context.Context, log io.Writer) error {
	var missing []string
	for _, t := range hostTools {
		if _, err := exec.LookPath(t.cmd); err != nil {
			missing = append(missing, t.pkg)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	if _, err := exec.LookPath("apt-get"); err != nil {
		return skipf("%s missing and there is no apt-get to install them", strings.Join(missing, ", "))
	}
	fmt.Fprintf(log, "# installing %s\n", strings.Join(missing, " "))
	if out, err := command(ctx, "apt-get", "update", "-qq"); err != nil {
		return fmt.Errorf("apt-get update: %w\n%s", err, out)
	}
	args := append([]string{"install", "-y", "-qq", "--no-install-recommends"}, missing...)
	if out, err := command(ctx, "apt-get", args...); err != nil {
		return fmt.Errorf("apt-get install: %w\n%s", err, out)
	}
	return nil
}

// command runs name with args on the host and returns its combined
// output.
func command(ctx context.Context, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive", "LC_ALL=C")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// repoRoot is the directory holding go.mod.
func repoRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("run e2e from inside the left4me module (make e2e)")
	}
	return filepath.Dir(mod), nil
}

// buildBinaries builds left4me, left4me-layers, l4d2ctl, fakesrcds and
// fakesteamcmd into dir. The container runs Debian 12 like the host, so a normal cgo build
// (SQLite) links against the same glibc.
func buildBinaries(ctx context.Context, repo, dir string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-o", dir+"/",
		"./cmd/left4me", "./cmd/left4me-layers", "./cmd/l4d2ctl", "./cmd/fakesrcds", "./cmd/fakesteamcmd")
	cmd.Dir = repo
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("go build: %w\n%s", err, out)
	}
	return nil
}

// rootfsTarball returns the cached root file system tarball, building it
// with mmdebstrap first when the cache has none for this package list.
func rootfsTarball(ctx context.Context, log io.Writer) (string, error) {
	cache, err := os.UserCacheDir() // $XDG_CACHE_HOME or ~/.cache
	if err != nil {
		return "", fmt.Errorf("find a cache directory: %w", err)
	}
	cache = filepath.Join(cache, "left4me-e2e")
	sum := sha256.Sum256([]byte(strings.Join(append([]string{rootfsVersion, suite, variant, foreignArch}, rootPackages...), " ")))
	path := filepath.Join(cache, "rootfs-"+suite+"-"+hex.EncodeToString(sum[:6])+".tar.zst")
	if _, err := os.Stat(path); err == nil {
		fmt.Fprintf(log, "# root file system: cached %s\n", path)
		return path, nil
	}
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return "", err
	}
	fmt.Fprintf(log, "# root file system: building %s with mmdebstrap (takes a minute)\n", path)
	start := time.Now()
	tmp := path + ".partial.tar.zst"
	os.Remove(tmp)
	out, err := command(ctx, "mmdebstrap", "--quiet", "--variant="+variant,
		"--include="+strings.Join(rootPackages, ","),
		`--customize-hook=chroot "$1" dpkg --add-architecture `+foreignArch,
		`--aptopt=Acquire::Retries "3"`, suite, tmp)
	if err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("mmdebstrap: %w\n%s", err, out)
	}
	if err := os.Rename(tmp, path); err != nil {
		return "", err
	}
	fmt.Fprintf(log, "# root file system built in %s\n", time.Since(start).Round(time.Second))
	return path, nil
}

// extract unpacks tarball into dir.
func extract(ctx context.Context, tarball, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if out, err := command(ctx, "tar", "--zstd", "-xpf", tarball, "-C", dir); err != nil {
		return fmt.Errorf("extract %s: %w\n%s", tarball, err, out)
	}
	return nil
}

// copyFile copies src to dst with mode.
func copyFile(src, dst string, mode fs.FileMode) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(dst, data, mode); err != nil {
		return err
	}
	return os.Chmod(dst, mode) // WriteFile keeps the mode of an existing file
}

// copyDeploy copies what install.sh installs from, as a checkout has it.
func copyDeploy(repo, dst string) error {
	for _, f := range []struct {
		path string
		mode fs.FileMode
	}{
		{"install.sh", 0o755},
		{"libexec/left4me-systemctl", 0o755},
		{"libexec/left4me-journalctl", 0o755},
		{"libexec/left4me-srcds", 0o755},
		{"sudoers/left4me", 0o644},
		{"systemd/left4me-server@.service", 0o644},
		{"systemd/left4me-web.service", 0o644},
	} {
		if err := copyFile(filepath.Join(repo, "deploy", f.path), filepath.Join(dst, f.path), f.mode); err != nil {
			return fmt.Errorf("copy deploy/%s: %w", f.path, err)
		}
	}
	return nil
}

// mountsUnder lists the mount points at or below dir in the host's
// mount table.
func mountsUnder(dir string) []string {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	var found []string
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) > 4 && (f[4] == dir || strings.HasPrefix(f[4], dir+"/")) {
			found = append(found, f[4])
		}
	}
	return found
}

// nameHost gives the root the host name name, resolvable through
// /etc/hosts.
func nameHost(root, name string) error {
	if err := os.WriteFile(filepath.Join(root, "etc/hostname"), []byte(name+"\n"), 0o644); err != nil {
		return err
	}
	f, err := os.OpenFile(filepath.Join(root, "etc/hosts"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(f, "127.0.1.1\t%s\n", name)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
