package fake_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/left4me/left4me/hostbackend"
	"github.com/left4me/left4me/hostbackend/fake"
)

func TestTheFakeInstallsTheGameWithProgressAndKeepsIt(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	b := fake.New(fake.Options{StateRoot: root})
	st, err := b.GameStatus(ctx)
	if err != nil || st.Installed {
		t.Fatalf("a new host: %+v, %v; want not installed", st, err)
	}
	var phases []string
	var last hostbackend.GameProgress
	var lines []string
	ev := hostbackend.GameEvents{
		Line: func(l hostbackend.Line) { lines = append(lines, l.Text) },
		Progress: func(p hostbackend.GameProgress) {
			if len(phases) == 0 || phases[len(phases)-1] != p.Phase {
				phases = append(phases, p.Phase)
			} else if p.Percent < last.Percent {
				t.Errorf("%s went back from %.1f to %.1f", p.Phase, last.Percent, p.Percent)
			}
			last = p
		},
	}
	if err := b.GameInstall(ctx, false, ev); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(phases, " "); got != "reconfiguring preallocating downloading validating committing" {
		t.Fatalf("phases %q", got)
	}
	if last.Percent != 100 || last.Done != last.Total || last.Total == 0 {
		t.Fatalf("last progress %+v", last)
	}
	if lines[len(lines)-1] != "Success! App '222860' fully installed." {
		t.Fatalf("last line %q", lines[len(lines)-1])
	}
	st, _ = b.GameStatus(ctx)
	if !st.Installed || st.BuildID != fake.DefaultGameBuild || st.SizeBytes == 0 || st.UpdatedAt.IsZero() {
		t.Fatalf("after the install: %+v", st)
	}
	// A restarted demo panel finds it again.
	again, _ := fake.New(fake.Options{StateRoot: root}).GameStatus(ctx)
	if !again.Installed || again.BuildID != fake.DefaultGameBuild {
		t.Fatalf("a new fake on the same root: %+v", again)
	}
}

func TestTheFakesGameFailuresQuestionsAndCancel(t *testing.T) {
	ctx := context.Background()
	b := fake.New(fake.Options{})

	b.FailGameInstall("ERROR! Failed to install app '222860' (No subscription)")
	if err := b.GameInstall(ctx, false, hostbackend.GameEvents{}); err == nil || !strings.Contains(err.Error(), "No subscription") {
		t.Fatalf("GameInstall = %v, want the injected failure", err)
	}
	if err := b.GameInstall(ctx, false, hostbackend.GameEvents{}); err != nil {
		t.Fatalf("the failure is for one install only: %v", err)
	}

	b.AskOnGameInstall("Steam Guard code:", "K7Q2X")
	var asked string
	answer := func(a string) hostbackend.GameEvents {
		return hostbackend.GameEvents{Ask: func(_ context.Context, p string) (string, error) { asked = p; return a, nil }}
	}
	if err := b.GameInstall(ctx, false, answer("WRONG")); err == nil || asked != "Steam Guard code:" {
		t.Fatalf("a wrong code: %v (asked %q)", err, asked)
	}
	if err := b.GameInstall(ctx, false, answer("K7Q2X")); err != nil {
		t.Fatalf("the right code: %v", err)
	}
	if err := b.GameInstall(ctx, false, hostbackend.GameEvents{}); err == nil {
		t.Fatal("a question nobody can answer must fail the install")
	}
	b.AskOnGameInstall("", "")

	b.HangGameInstall(true)
	cctx, cancel := context.WithCancel(ctx)
	err := b.GameInstall(cctx, false, hostbackend.GameEvents{Progress: func(hostbackend.GameProgress) { cancel() }})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("a cancelled install = %v", err)
	}

	b.SetLatestBuild("")
	if _, err := b.GameLatestBuild(ctx, hostbackend.GameEvents{}); !errors.Is(err, hostbackend.ErrBuildUnknown) {
		t.Fatalf("GameLatestBuild = %v, want ErrBuildUnknown", err)
	}
	b.SetLatestBuild("17000000")
	if got, err := b.GameLatestBuild(ctx, hostbackend.GameEvents{}); got != "17000000" || err != nil {
		t.Fatalf("GameLatestBuild = %q, %v", got, err)
	}
}

func TestTheFakesUpdateKeepsTheOldBuildUntilGC(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	b := fake.New(fake.Options{StateRoot: root, GameInstalled: true, GameBuild: "100"})
	if err := b.GameInstall(ctx, false, hostbackend.GameEvents{}); err != nil {
		t.Fatal(err)
	}
	b.SetLatestBuild("101")
	var lines []string
	if err := b.GameInstall(ctx, false, hostbackend.GameEvents{Line: func(l hostbackend.Line) { lines = append(lines, l.Text) }}); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(b.GameBuilds(), " "); got != "100 101" {
		t.Fatalf("builds %q", got)
	}
	if !strings.Contains(strings.Join(lines, "\n"), "Build 101 is the current one") {
		t.Fatalf("lines %q", lines)
	}
	st, _ := b.GameStatus(ctx)
	if st.BuildID != "101" || len(st.Builds) != 2 || st.Builds[0].ID != "100" || st.Builds[0].Current || !st.Builds[1].Current {
		t.Fatalf("status %+v", st)
	}
	// A validation makes no build; a restarted demo panel finds both.
	if err := b.GameInstall(ctx, true, hostbackend.GameEvents{}); err != nil {
		t.Fatal(err)
	}
	again := fake.New(fake.Options{StateRoot: root})
	if got := strings.Join(again.GameBuilds(), " "); got != "100 101" {
		t.Fatalf("builds after a restart %q", got)
	}

	// The instance's layers file says which build it runs.
	if err := again.Provision(ctx, hostbackend.InstanceSpec{Name: "alpha", Port: 27015, Build: "100"}); err != nil {
		t.Fatal(err)
	}
	if got, err := again.InstanceBuild(ctx, "alpha"); err != nil || got != "100" && got != "" {
		t.Fatalf("InstanceBuild = %q, %v", got, err)
	}
	if removed, err := again.GameGC(ctx, []string{"100"}); err != nil || len(removed) != 0 {
		t.Fatalf("GC of a build in use: %v, %v", removed, err)
	}
	if removed, err := again.GameGC(ctx, nil); err != nil || strings.Join(removed, " ") != "100" {
		t.Fatalf("GC: %v, %v", removed, err)
	}
	if got := strings.Join(fake.New(fake.Options{StateRoot: root}).GameBuilds(), " "); got != "101" {
		t.Fatalf("builds after GC, read again %q", got)
	}
}

func TestTheFakeInMemoryKnowsTheBuildEachInstanceStartsOn(t *testing.T) {
	ctx := context.Background()
	b := fake.New(fake.Options{GameInstalled: true})
	if err := b.Provision(ctx, hostbackend.InstanceSpec{Name: "alpha", Port: 27015, Build: fake.DefaultGameBuild}); err != nil {
		t.Fatal(err)
	}
	if got, err := b.InstanceBuild(ctx, "alpha"); err != nil || got != fake.DefaultGameBuild {
		t.Fatalf("InstanceBuild = %q, %v", got, err)
	}
	if _, err := b.InstanceBuild(ctx, "../x"); err == nil {
		t.Fatal("a bad name was read")
	}
}

func TestTheFakesSteamPublishesBuildsOverTimeWhenAsked(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 30, 0, 0, time.UTC)
	b := fake.New(fake.Options{GameBuild: "100", GameBuildEvery: 10 * time.Minute, Now: func() time.Time { return now }})
	if got, err := b.GameLatestBuild(context.Background(), hostbackend.GameEvents{}); err != nil || got != "103" {
		t.Fatalf("latest = %q, %v", got, err)
	}
}
