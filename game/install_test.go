package game

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestInstallTwoPass(t *testing.T) {
	t.Parallel()
	r := newRig(t, "FAKESTEAMCMD_BUILDID=777001")
	var rec record
	m, err := r.steam(nil).Install(context.Background(), rec.hooks(nil))
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "BuildID", m.BuildID, "777001")
	equal(t, "Partial", m.Partial(), false)
	equal(t, "success lines", count(rec.lines, "Success! App '222860' fully installed."), 2)
	equal(t, "Windows pass", count(rec.lines, `"@sSteamCmdForcePlatformType" = "windows"`), 1)
	equal(t, "Linux pass", count(rec.lines, `"@sSteamCmdForcePlatformType" = "linux"`), 1)
	equal(t, "refusals", count(rec.lines, "Invalid platform"), 0)

	// The Linux pass installed the given program as srcds_run,
	// executable, beside the Windows pass's files.
	fi, err := os.Stat(filepath.Join(r.dir, "srcds_run"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode()&0o111 == 0 {
		t.Errorf("srcds_run mode %v is not executable", fi.Mode())
	}
	equal(t, "srcds_run", fileBytes(t, filepath.Join(r.dir, "srcds_run")), fileBytes(t, r.srcds))
	if _, err := os.Stat(filepath.Join(r.dir, "srcds.exe")); err != nil {
		t.Errorf("the Windows pass left no srcds.exe: %v", err)
	}
	// steamclient.so went from steamcmd's linux32 to ~/.steam/sdk32.
	equal(t, "sdk32/steamclient.so", fileBytes(t, filepath.Join(r.home, ".steam", "sdk32", "steamclient.so")),
		fileBytes(t, filepath.Join(r.root, "linux32", "steamclient.so")))

	// Progress of both passes, each in steamcmd's order of phases.
	var phases [3][]string
	for _, p := range rec.progress {
		if p.Passes != 2 || p.Pass < 1 || p.Pass > 2 {
			t.Fatalf("progress %+v does not say pass 1 or 2 of 2", p)
		}
		if ph := phases[p.Pass]; len(ph) == 0 || ph[len(ph)-1] != p.Phase {
			phases[p.Pass] = append(phases[p.Pass], p.Phase)
		}
	}
	want := []string{"reconfiguring", "validating", "preallocating", "downloading", "committing"}
	equal(t, "first pass's phases", phases[1], []string{"reconfiguring", "preallocating", "downloading", "committing"})
	equal(t, "second pass's phases (the first left files to validate)", phases[2], want)
	if !strings.Contains(strings.Join(rec.steps, "\n"), "Install, pass 2 of 2: the linux files as anonymous (attempt 1 of 3).") {
		t.Errorf("steps %q do not name the second pass", rec.steps)
	}
}

func TestLinuxOnlyAnonymousIsRefused(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	var rec record
	_, err := r.steam(func(o *Options) { o.Strategy = LinuxOnly }).Install(context.Background(), rec.hooks(nil))
	f := failure(t, err, ReasonInvalidPlatform)
	equal(t, "Attempts (not worth a retry)", f.Attempts, 1)
	equal(t, "Exit", f.Exit, 8)
	equal(t, "Line", f.Line, "ERROR! Failed to install app '222860' (Invalid platform)")
	if !strings.Contains(f.Error(), "two-pass") {
		t.Errorf("sentence %q does not name the fix", f.Error())
	}
	if _, err := os.Stat(filepath.Join(r.home, ".steam")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a failed install touched ~/.steam: %v", err)
	}
}

func TestUpdateAndValidate(t *testing.T) {
	t.Parallel()
	r := newRig(t, "FAKESTEAMCMD_BUILDID=100")
	if _, err := r.steam(nil).Install(context.Background(), Hooks{}); err != nil {
		t.Fatal(err)
	}

	t.Run("an update with nothing new", func(t *testing.T) {
		var rec record
		m, err := r.steam(nil).Update(context.Background(), rec.hooks(nil))
		if err != nil {
			t.Fatal(err)
		}
		equal(t, "BuildID", m.BuildID, "100")
		equal(t, "up to date", count(rec.lines, "Success! App '222860' already up to date."), 2)
		equal(t, "progress", len(rec.progress), 0)
	})
	t.Run("an update to a new build", func(t *testing.T) {
		r := *r
		r.env = append(r.env, "FAKESTEAMCMD_BUILDID=101")
		var rec record
		m, err := r.steam(nil).Update(context.Background(), rec.hooks(nil))
		if err != nil {
			t.Fatal(err)
		}
		equal(t, "BuildID", m.BuildID, "101")
		equal(t, "validating", count(rec.lines, "validating"), 0)
		if count(rec.lines, "downloading") == 0 {
			t.Error("no download")
		}
	})
	t.Run("a validation checks the files", func(t *testing.T) {
		r := *r
		r.env = append(r.env, "FAKESTEAMCMD_BUILDID=101")
		var rec record
		if _, err := r.steam(nil).Validate(context.Background(), rec.hooks(nil)); err != nil {
			t.Fatal(err)
		}
		if count(rec.lines, "validating") == 0 {
			t.Errorf("no validating phase in %q", rec.lines)
		}
		equal(t, "fully installed", count(rec.lines, "Success! App '222860' fully installed."), 2)
	})
}

func TestFailedPassIsRetried(t *testing.T) {
	t.Parallel()
	r := newRig(t, "FAKESTEAMCMD_FAIL_ONCE=windows")
	var rec record
	if _, err := r.steam(nil).Install(context.Background(), rec.hooks(nil)); err != nil {
		t.Fatal(err)
	}
	equal(t, "the failure was seen", count(rec.lines, "Error! App '222860' state is 0x602 after update job."), 1)
	steps := strings.Join(rec.steps, "\n")
	for _, want := range []string{
		"Install, pass 1 of 2: the windows files as anonymous (attempt 1 of 3).",
		"The windows pass failed: steamcmd ended with the app in state 0x602",
		"Install, pass 1 of 2: the windows files as anonymous (attempt 2 of 3).",
		"Install, pass 2 of 2: the linux files as anonymous (attempt 1 of 3).",
	} {
		if !strings.Contains(steps, want) {
			t.Errorf("steps do not say %q:\n%s", want, steps)
		}
	}
}

func TestFailedPassGivesUpAfterAttempts(t *testing.T) {
	t.Parallel()
	r := newRig(t, "FAKESTEAMCMD_FAIL_ONCE=windows")
	_, err := r.steam(func(o *Options) { o.Attempts = 1 }).Install(context.Background(), Hooks{})
	f := failure(t, err, ReasonUpdateState)
	equal(t, "Attempts", f.Attempts, 1)
	equal(t, "Exit", f.Exit, 8)
}

func TestDiskFull(t *testing.T) {
	t.Parallel()
	r := newRig(t, "FAKESTEAMCMD_DISK_FULL=1")
	var rec record
	_, err := r.steam(nil).Install(context.Background(), rec.hooks(nil))
	f := failure(t, err, ReasonDiskFull)
	equal(t, "Attempts (a full disk is not retried)", f.Attempts, 1)
	if !strings.Contains(f.Error(), r.dir) {
		t.Errorf("sentence %q does not name the directory", f)
	}
	m, err := ReadManifest(r.dir)
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "the manifest shows a half-finished download", m.Partial(), true)
}

func TestNotEnoughSpaceRefusesBeforeSteamcmd(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	var rec record
	_, err := r.steam(func(o *Options) { o.NeedBytes = 1 << 62 }).Install(context.Background(), rec.hooks(nil))
	f := failure(t, err, ReasonNotEnoughSpace)
	for _, want := range []string{"free on the disk that holds " + r.dir, "4096.0 PiB needed"} {
		if !strings.Contains(f.Error(), want) {
			t.Errorf("sentence %q does not say %q", f, want)
		}
	}
	equal(t, "steamcmd's lines", len(rec.lines), 0)
}

func TestSteamcmdMissing(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	_, err := r.steam(func(o *Options) { o.SteamCMD = filepath.Join(r.root, "no-such-steamcmd") }).Install(context.Background(), Hooks{})
	failure(t, err, ReasonStart)
}

func TestAccountWithoutLicence(t *testing.T) {
	t.Parallel()
	r := newRig(t, "FAKESTEAMCMD_NO_LICENSE=1")
	_, err := r.steam(func(o *Options) { o.Strategy, o.User = Account, "ops" }).Install(context.Background(), Hooks{})
	f := failure(t, err, ReasonNoSubscription)
	equal(t, "Attempts", f.Attempts, 1)
}

func TestRateLimitIsNotRetried(t *testing.T) {
	t.Parallel()
	r := newRig(t, "FAKESTEAMCMD_RATE_LIMIT=1")
	var rec record
	_, err := r.steam(nil).Install(context.Background(), rec.hooks(nil))
	f := failure(t, err, ReasonRateLimit)
	equal(t, "Attempts", f.Attempts, 1)
	equal(t, "Exit", f.Exit, 5)
	equal(t, "logins", count(rec.lines, "Connecting anonymously"), 1)
}

func TestProgressArrivesWhileRunning(t *testing.T) {
	t.Parallel()
	// The fake holds its download after the first downloading line until
	// the gate file exists, and only the Progress hook makes it: had the
	// progress come at the end only (a buffering pipe), the install
	// would wait for the gate until the deadline.
	gate := filepath.Join(t.TempDir(), "gate")
	r := newRig(t, "FAKESTEAMCMD_GATE="+gate)
	opened := 0
	h := Hooks{Progress: func(p Progress) {
		if p.Phase == "downloading" && opened < p.Pass {
			opened = p.Pass
			if err := os.WriteFile(gate, nil, 0o644); err != nil {
				t.Error(err)
			}
		}
	}}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := r.steam(func(o *Options) { o.Strategy = TwoPass }).Install(ctx, h); err != nil {
		t.Fatal(err)
	}
	equal(t, "passes whose progress opened the gate", opened, 2)
}

func TestSilenceForAWhileIsNoFailure(t *testing.T) {
	t.Parallel()
	r := newRig(t, "FAKESTEAMCMD_SILENCE=300ms")
	if _, err := r.steam(func(o *Options) { o.StallTimeout = 5 * time.Second }).Install(context.Background(), Hooks{}); err != nil {
		t.Fatal(err)
	}
}

func TestSilenceTooLongStopsSteamcmd(t *testing.T) {
	t.Parallel()
	r := newRig(t, "FAKESTEAMCMD_SILENCE=1m")
	start := time.Now()
	_, err := r.steam(func(o *Options) { o.StallTimeout, o.Attempts = 300*time.Millisecond, 1 }).Install(context.Background(), Hooks{})
	f := failure(t, err, ReasonStalled)
	equal(t, "Exit", f.Exit, -1)
	if time.Since(start) > 30*time.Second {
		t.Errorf("the stalled run took %s", time.Since(start))
	}
}
