// Package fake is an in-memory hostbackend.Backend that behaves like a
// small systemd: units move through activating → active and deactivating
// → inactive with configurable delays, and tests can inject drift (a
// crash, an OOM kill, an external disable, a reboot) and failures per
// verb and name. It records every call. It drives the demo (make run) and
// every test above the backend.
//
// Timed transitions are evaluated lazily against the clock in Options.Now,
// so a test with an injected clock sees exactly the state it set up.
package fake

import (
	"context"
	"fmt"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/left4me/left4me/hostbackend"
)

func init() {
	hostbackend.Register("fake", func(c hostbackend.Config) (hostbackend.Backend, error) {
		return New(Options{StateRoot: c.StateRoot, StartDelay: 2 * time.Second, StopDelay: time.Second,
			GameStepDelay: 200 * time.Millisecond, GameBuildEvery: 10 * time.Minute}), nil
	})
}

// StartLimitBurst is how many automatic restarts a crash-looping unit gets
// before it is failed, as the unit template's StartLimitBurst.
const StartLimitBurst = 5

// Options configures a fake backend. The zero value is valid: no delays,
// instance files in memory, the real clock.
type Options struct {
	// StateRoot, when set, makes Provision, Purge and List work on real
	// files under StateRoot/instances, as the sudo backend does, and keeps
	// the units in StateRoot/fake-units.json, so that every process on
	// that root (a restarted panel, l4d2ctl) sees one host. Empty keeps
	// instance specs and units in memory.
	StateRoot string
	// StartDelay is how long a unit stays activating before it is active.
	StartDelay time.Duration
	// StopDelay is how long a unit stays deactivating; Disable and
	// Restart wait for it, as systemctl does.
	StopDelay time.Duration
	// RestartDelay is how long a crashed unit stays in auto-restart
	// (systemd's RestartSec). Zero means StartDelay.
	RestartDelay time.Duration
	// CallDelay makes every Enable, Disable and Restart take at least this
	// long, honouring the context.
	CallDelay time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// GameInstalled starts the fake with the game installed (at
	// GameBuild); otherwise it is missing until a GameInstall.
	GameInstalled bool
	// GameStepDelay is the time between two progress reports of a
	// simulated install (about 60 of them); zero reports as fast as it can.
	GameStepDelay time.Duration
	// GameBuild is the build id Steam calls the latest (default
	// DefaultGameBuild); SetLatestBuild changes it.
	GameBuild string
	// GameBuildEvery, when set, makes the simulated Steam publish a new
	// build every GameBuildEvery: the latest is GameBuild plus one per
	// GameBuildEvery since 2026-01-01 (make run's fake: 10 min), so a
	// demo's updates install new builds while servers run older ones.
	GameBuildEvery time.Duration
	// WatchInterval is how often a Watch applies due timed transitions
	// and rereads the state root besides at the earliest pending one
	// (default DefaultWatchInterval).
	WatchInterval time.Duration
}

// Call is one recorded call: the verb (enable, disable, restart, show,
// journal, provision, purge, list) and the instance names it named.
type Call struct {
	Verb  string
	Names []string
}

// Backend is the fake. Its zero value is not usable; call New.
type Backend struct {
	opts Options

	mu        sync.Mutex
	units     map[string]*unit
	specs     map[string]hostbackend.InstanceSpec // when StateRoot is empty
	uppers    map[string]map[string]int64         // writable layers (path → bytes) when StateRoot is empty
	calls     []Call
	failures  map[string]string // verb\x00name → stderr
	hangs     map[string]bool
	showErr   error
	nextPID   int
	journalCh chan struct{} // closed and replaced whenever a journal grows
	game      gameSim
	live      liveSims

	flock *os.File // unitsLock, held between lock and unlock
	saved []byte   // unitsFile as this process last read or wrote it

	watchers map[*watch]struct{} // running Watch calls (watch.go)
	watchErr error               // BreakWatch's error
}

type unit struct {
	name      string
	known     bool
	enabled   bool
	active    string
	sub       string
	result    string
	nRestarts int
	mainPID   int
	since     time.Time
	journal   []logLine

	crashLoop    bool
	loopAttempts int
	// A pending timed transition, applied by advance once nextAt passed.
	nextAt time.Time
	next   transition
}

// transition is a unit's pending timed change.
type transition uint8

const (
	noTransition transition = iota
	toRunning               // activating/start over: running (or the crash loop's next crash)
	toRestarted             // activating/auto-restart over: counted, then started
	toStopped               // deactivating over: inactive/dead
)

var _ hostbackend.Backend = (*Backend)(nil)

// New returns a fake backend.
func New(opts Options) *Backend {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.RestartDelay == 0 {
		opts.RestartDelay = opts.StartDelay
	}
	if opts.GameBuild == "" {
		opts.GameBuild = DefaultGameBuild
	}
	b := &Backend{
		opts:      opts,
		units:     map[string]*unit{},
		specs:     map[string]hostbackend.InstanceSpec{},
		failures:  map[string]string{},
		hangs:     map[string]bool{},
		nextPID:   4000,
		journalCh: make(chan struct{}),
	}
	b.game.latest = opts.GameBuild
	if opts.GameInstalled {
		b.game.installed, b.game.build, b.game.updatedAt = true, opts.GameBuild, opts.Now()
	}
	return b
}

// Calls returns a copy of the calls recorded so far, in order.
func (b *Backend) Calls() []Call {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]Call, len(b.calls))
	for i, c := range b.calls {
		out[i] = Call{Verb: c.Verb, Names: append([]string(nil), c.Names...)}
	}
	return out
}

// ResetCalls forgets the recorded calls.
func (b *Backend) ResetCalls() {
	b.mu.Lock()
	b.calls = nil
	b.mu.Unlock()
}

// Fail makes later calls of verb for name fail with a
// *hostbackend.CommandError carrying message as stderr. An empty name
// matches every name; an empty message clears the failure.
func (b *Backend) Fail(verb, name, message string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if message == "" {
		delete(b.failures, verb+"\x00"+name)
		return
	}
	b.failures[verb+"\x00"+name] = message
}

// Interrupt makes later calls of verb for name ("" for every name) end
// as if a signal from outside had killed the host command: a
// *hostbackend.CommandError matching hostbackend.ErrInterrupted. Fail with
// an empty message clears it.
func (b *Backend) Interrupt(verb, name string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.failures[verb+"\x00"+name] = interruptMark
}

// interruptMark in failures stands for Interrupt rather than a message.
const interruptMark = "\x00SIGTERM"

// FailShow makes every later Show return err; nil clears it.
func (b *Backend) FailShow(err error) {
	b.mu.Lock()
	b.showErr = err
	b.mu.Unlock()
}

// Hang makes later calls of verb for name ("" for every name) block until
// their context is cancelled.
func (b *Backend) Hang(verb, name string) {
	b.mu.Lock()
	b.hangs[verb+"\x00"+name] = true
	b.mu.Unlock()
}

// Unhang undoes Hang.
func (b *Backend) Unhang(verb, name string) {
	b.mu.Lock()
	delete(b.hangs, verb+"\x00"+name)
	b.mu.Unlock()
}

// Enabled reports whether the unit is enabled (would come back after a reboot).
func (b *Backend) Enabled(name string) bool {
	_ = b.lock() // on a file error, the units as this process last knew them
	defer b.unlock()
	u := b.units[name]
	return u != nil && u.enabled
}

// Unit returns the unit's current status without recording a call.
func (b *Backend) Unit(name string) hostbackend.UnitStatus {
	_ = b.lock() // on a file error, the units as this process last knew them
	defer b.unlock()
	return b.statusLocked(name, b.opts.Now())
}

// Crash kills the unit's main process. The unit template restarts on
// failure, so the unit goes to activating/auto-restart and, after
// RestartDelay, back to running with NRestarts counted.
func (b *Backend) Crash(name string) {
	_ = b.lock() // on a file error, the units as this process last knew them
	defer b.unlock()
	now := b.opts.Now()
	u := b.unitLocked(name, now)
	if u.active != "active" {
		return
	}
	b.logLocked(u, now, "Main process exited, code=killed, status=9/KILL")
	b.logLocked(u, now, "Failed with result 'signal'.")
	u.result = "signal"
	b.autoRestartLocked(u, name, now)
}

// CrashLoop makes the unit crash now and on every automatic restart, until
// systemd's start limit fails it (after StartLimitBurst restarts), or
// until a later Enable, Restart or Reboot starts it cleanly.
func (b *Backend) CrashLoop(name string) {
	_ = b.lock() // on a file error, the units as this process last knew them
	defer b.unlock()
	now := b.opts.Now()
	u := b.unitLocked(name, now)
	u.crashLoop = true
	u.loopAttempts = 0
	b.logLocked(u, now, "Main process exited, code=dumped, status=11/SEGV")
	u.result = "core-dump"
	b.autoRestartLocked(u, name, now)
}

// OOMKill makes the kernel's OOM killer end the unit: it is failed with
// Result=oom-kill.
func (b *Backend) OOMKill(name string) {
	_ = b.lock() // on a file error, the units as this process last knew them
	defer b.unlock()
	now := b.opts.Now()
	u := b.unitLocked(name, now)
	b.logLocked(u, now, "A process of this unit has been killed by the OOM killer.")
	b.logLocked(u, now, "Failed with result 'oom-kill'.")
	b.setLocked(u, "failed", "failed", now)
	u.result = "oom-kill"
	u.mainPID = 0
}

// ExternalDisable is `systemctl disable --now` run outside the panel.
func (b *Backend) ExternalDisable(name string) {
	_ = b.lock() // on a file error, the units as this process last knew them
	defer b.unlock()
	now := b.opts.Now()
	u := b.unitLocked(name, now)
	u.enabled = false
	u.crashLoop = false
	b.setLocked(u, "inactive", "dead", now)
	u.mainPID = 0
	b.logLocked(u, now, "Stopped left4me-server@"+name+".service.")
}

// ExternalStop is `systemctl stop` run outside the panel: the unit stops
// and stays enabled, so it would start again at boot.
func (b *Backend) ExternalStop(name string) {
	_ = b.lock() // on a file error, the units as this process last knew them
	defer b.unlock()
	now := b.opts.Now()
	u := b.unitLocked(name, now)
	u.crashLoop = false
	u.next = noTransition
	b.setLocked(u, "inactive", "dead", now)
	u.mainPID = 0
	b.logLocked(u, now, "Stopped left4me-server@"+name+".service.")
}

// ExternalEnable is `systemctl enable --now` run outside the panel.
func (b *Backend) ExternalEnable(name string) {
	_ = b.lock() // on a file error, the units as this process last knew them
	defer b.unlock()
	now := b.opts.Now()
	u := b.unitLocked(name, now)
	u.enabled = true
	b.startLocked(u, name, now)
}

// Reboot stops every unit and starts the enabled ones again, as a host
// reboot does.
func (b *Backend) Reboot() {
	_ = b.lock() // on a file error, the units as this process last knew them
	defer b.unlock()
	now := b.opts.Now()
	for name, u := range b.units {
		b.advance(u, now)
		u.next = noTransition
		u.crashLoop = false
		u.nRestarts = 0
		u.result = "success"
		u.mainPID = 0
		b.setLocked(u, "inactive", "dead", now)
		b.logLocked(u, now, "-- Boot --")
		if u.enabled {
			b.startLocked(u, name, now)
		}
	}
}

// SeedJournal replaces the unit's log lines, recorded now (Options.Now).
func (b *Backend) SeedJournal(name string, lines []string) {
	_ = b.lock() // on a file error, the units as this process last knew them
	defer b.unlock()
	now := b.opts.Now()
	u := b.unitLocked(name, now)
	u.known = true
	u.journal = nil
	for _, l := range lines {
		b.logLocked(u, now, l)
	}
	b.wakeJournalLocked()
}

// AppendJournal adds lines to the unit's log, recorded now (Options.Now);
// following readers get them.
func (b *Backend) AppendJournal(name string, lines []string) {
	_ = b.lock() // on a file error, the units as this process last knew them
	defer b.unlock()
	now := b.opts.Now()
	u := b.unitLocked(name, now)
	u.known = true
	for _, l := range lines {
		b.logLocked(u, now, l)
	}
	b.wakeJournalLocked()
}

// Enable implements hostbackend.Backend.
func (b *Backend) Enable(ctx context.Context, name string, out hostbackend.LineFunc) error {
	if err := b.begin(ctx, "enable", name, out); err != nil {
		return err
	}
	if err := b.lock(); err != nil {
		b.unlock()
		return err
	}
	now := b.opts.Now()
	u := b.unitLocked(name, now)
	wasEnabled := u.enabled
	u.enabled = true
	u.crashLoop = false
	if u.active != "active" && u.active != "activating" {
		b.startLocked(u, name, now)
	}
	b.touchLocked(name)
	b.unlock()
	if !wasEnabled && out != nil {
		out(hostbackend.Line{Stream: hostbackend.Stderr, Text: "Created symlink /etc/systemd/system/multi-user.target.wants/" +
			hostbackend.UnitName(name) + " → /etc/systemd/system/left4me-server@.service."})
	}
	return nil
}

// Disable implements hostbackend.Backend. Like systemctl, it returns once
// the unit has stopped.
func (b *Backend) Disable(ctx context.Context, name string, out hostbackend.LineFunc) error {
	if err := b.begin(ctx, "disable", name, out); err != nil {
		return err
	}
	if err := b.lock(); err != nil {
		b.unlock()
		return err
	}
	now := b.opts.Now()
	u := b.unitLocked(name, now)
	wasEnabled := u.enabled
	u.enabled = false
	u.crashLoop = false
	stopping := b.stopLocked(u, name, now)
	b.unlock()
	if wasEnabled && out != nil {
		out(hostbackend.Line{Stream: hostbackend.Stderr, Text: "Removed \"/etc/systemd/system/multi-user.target.wants/" + hostbackend.UnitName(name) + "\"."})
	}
	if stopping {
		return b.waitStopped(ctx, name)
	}
	return nil
}

// Restart implements hostbackend.Backend.
func (b *Backend) Restart(ctx context.Context, name string, out hostbackend.LineFunc) error {
	if err := b.begin(ctx, "restart", name, out); err != nil {
		return err
	}
	if err := b.lock(); err != nil {
		b.unlock()
		return err
	}
	now := b.opts.Now()
	u := b.unitLocked(name, now)
	u.crashLoop = false
	stopping := b.stopLocked(u, name, now)
	b.unlock()
	if stopping {
		if err := b.waitStopped(ctx, name); err != nil {
			return err
		}
	}
	if err := b.lock(); err != nil {
		b.unlock()
		return err
	}
	now = b.opts.Now()
	b.startLocked(b.unitLocked(name, now), name, now)
	b.unlock()
	return nil
}

// Show implements hostbackend.Backend.
func (b *Backend) Show(ctx context.Context, names ...string) ([]hostbackend.UnitStatus, error) {
	for _, n := range names {
		if err := hostbackend.ValidateName(n); err != nil {
			return nil, err
		}
	}
	if len(names) == 0 {
		return nil, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := b.lock(); err != nil {
		b.unlock()
		return nil, err
	}
	b.calls = append(b.calls, Call{Verb: "show", Names: append([]string(nil), names...)})
	if b.showErr != nil {
		err := b.showErr
		b.unlock()
		return nil, err
	}
	for _, n := range names {
		if msg, ok := b.failureLocked("show", n); ok {
			b.unlock()
			return nil, &hostbackend.CommandError{Verb: "show", ExitCode: 1, Stderr: msg}
		}
	}
	hang := false
	for _, n := range names {
		hang = hang || b.hangLocked("show", n)
	}
	if hang {
		b.unlock()
		<-ctx.Done()
		return nil, fmt.Errorf("show: %w", ctx.Err())
	}
	now := b.opts.Now()
	out := make([]hostbackend.UnitStatus, len(names))
	for i, n := range names {
		out[i] = b.statusLocked(n, now)
	}
	b.unlock()
	return out, nil
}

// Journal implements hostbackend.Backend.
func (b *Backend) Journal(ctx context.Context, name string, lines int, follow bool, out hostbackend.LineFunc) error {
	if err := hostbackend.ValidateName(name); err != nil {
		return err
	}
	if err := hostbackend.ValidateJournalLines(name, lines); err != nil {
		return err
	}
	if err := b.begin(ctx, "journal", name, out); err != nil {
		return err
	}
	if err := b.lock(); err != nil {
		b.unlock()
		return err
	}
	u := b.unitLocked(name, b.opts.Now())
	start := len(u.journal) - lines
	if start < 0 {
		start = 0
	}
	pending := append([]logLine(nil), u.journal[start:]...)
	sent := len(u.journal)
	wake := b.journalCh
	b.unlock()
	var poll <-chan time.Time // another process's lines come through the file
	if b.opts.StateRoot != "" && follow {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		poll = t.C
	}
	for {
		for _, l := range pending {
			if out != nil {
				out(hostbackend.Line{Stream: hostbackend.Stdout, Text: l.Text, Time: l.At})
			}
		}
		if !follow {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-wake:
		case <-poll:
		}
		if err := b.lock(); err != nil {
			b.unlock()
			return err
		}
		u = b.unitLocked(name, b.opts.Now())
		if sent > len(u.journal) { // the journal was replaced
			sent = 0
		}
		pending = append(pending[:0], u.journal[sent:]...)
		sent = len(u.journal)
		wake = b.journalCh
		b.unlock()
	}
}

// Provision implements hostbackend.Backend.
func (b *Backend) Provision(ctx context.Context, spec hostbackend.InstanceSpec) error {
	if err := hostbackend.ValidateSpec(spec); err != nil {
		return err
	}
	if err := b.begin(ctx, "provision", spec.Name, nil); err != nil {
		return err
	}
	if err := b.lock(); err != nil {
		b.unlock()
		return err
	}
	defer b.unlock()
	b.unitLocked(spec.Name, b.opts.Now()).known = true
	if b.opts.StateRoot != "" {
		return hostbackend.InstanceFiles{Root: b.opts.StateRoot}.Write(spec)
	}
	spec.Args = append([]string(nil), spec.Args...)
	b.specs[spec.Name] = spec
	return nil
}

// Spec returns what Provision stored for name when the fake keeps
// instance files in memory.
func (b *Backend) Spec(name string) (hostbackend.InstanceSpec, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	s, ok := b.specs[name]
	return s, ok
}

// Purge implements hostbackend.Backend.
func (b *Backend) Purge(ctx context.Context, name string) error {
	if err := b.begin(ctx, "purge", name, nil); err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.opts.StateRoot != "" {
		return hostbackend.InstanceFiles{Root: b.opts.StateRoot}.Remove(name)
	}
	delete(b.specs, name)
	delete(b.uppers, name)
	return nil
}

// List implements hostbackend.Backend.
func (b *Backend) List(ctx context.Context) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.calls = append(b.calls, Call{Verb: "list"})
	if b.opts.StateRoot != "" {
		return hostbackend.InstanceFiles{Root: b.opts.StateRoot}.List()
	}
	names := make([]string, 0, len(b.specs))
	for n := range b.specs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names, nil
}

// begin validates name, records the call, waits CallDelay for mutating
// verbs, and applies injected hangs and failures.
func (b *Backend) begin(ctx context.Context, verb, name string, out hostbackend.LineFunc) error {
	if err := hostbackend.ValidateName(name); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s %s: %w", verb, name, err)
	}
	b.mu.Lock()
	b.calls = append(b.calls, Call{Verb: verb, Names: []string{name}})
	hang := b.hangLocked(verb, name)
	b.mu.Unlock()

	wait := time.Duration(0)
	switch verb {
	case "enable", "disable", "restart":
		wait = b.opts.CallDelay
	}
	if hang || wait > 0 {
		var timer <-chan time.Time
		if !hang {
			t := time.NewTimer(wait)
			defer t.Stop()
			timer = t.C
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s %s: %w", verb, name, ctx.Err())
		case <-timer:
		}
	}

	b.mu.Lock()
	msg, failed := b.failureLocked(verb, name)
	b.mu.Unlock()
	if failed && msg == interruptMark {
		return &hostbackend.CommandError{Verb: verb, Name: name, ExitCode: -1, Signal: "SIGTERM"}
	}
	if failed {
		if out != nil {
			out(hostbackend.Line{Stream: hostbackend.Stderr, Text: msg})
		}
		return &hostbackend.CommandError{Verb: verb, Name: name, ExitCode: 1, Stderr: msg}
	}
	return nil
}

// waitStopped blocks until the unit has left deactivating.
func (b *Backend) waitStopped(ctx context.Context, name string) error {
	t := time.NewTimer(b.opts.StopDelay)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
	}
	if err := b.lock(); err != nil {
		b.unlock()
		return err
	}
	defer b.unlock()
	u := b.unitLocked(name, b.opts.Now())
	if u.active == "deactivating" && u.next != noTransition {
		// The injected clock may not have moved; a real stop has finished.
		t := u.next
		u.next = noTransition
		b.fire(u, t, b.opts.Now())
	}
	return nil
}

func (b *Backend) failureLocked(verb, name string) (string, bool) {
	if msg, ok := b.failures[verb+"\x00"+name]; ok {
		return msg, true
	}
	msg, ok := b.failures[verb+"\x00"]
	return msg, ok
}

func (b *Backend) hangLocked(verb, name string) bool {
	return b.hangs[verb+"\x00"+name] || b.hangs[verb+"\x00"]
}

// unitLocked returns the unit, creating an unknown one, with pending
// transitions applied up to now.
func (b *Backend) unitLocked(name string, now time.Time) *unit {
	u := b.units[name]
	if u == nil {
		u = &unit{name: name, active: "inactive", sub: "dead", result: "success", since: now}
		b.units[name] = u
	}
	b.advance(u, now)
	return u
}

func (b *Backend) statusLocked(name string, now time.Time) hostbackend.UnitStatus {
	u := b.unitLocked(name, now)
	st := hostbackend.UnitStatus{
		Name:        name,
		Known:       u.known,
		ActiveState: u.active,
		SubState:    u.sub,
		Result:      u.result,
		NRestarts:   u.nRestarts,
		MainPID:     u.mainPID,
		Since:       u.since,
		Enabled:     u.enabled,
	}
	setFigures(&st, u.since, now) // a running unit's since is when it became active
	return st
}

func (b *Backend) advance(u *unit, now time.Time) {
	for u.next != noTransition && !now.Before(u.nextAt) {
		t, at := u.next, u.nextAt
		u.next = noTransition
		b.fire(u, t, at)
	}
}

// fire makes the transition t happen to u at the time at.
func (b *Backend) fire(u *unit, t transition, at time.Time) {
	switch t {
	case toRunning:
		b.runningLocked(u, u.name, at)
	case toRestarted:
		u.nRestarts++
		b.logLocked(u, at, fmt.Sprintf("Scheduled restart job, restart counter is at %d.", u.nRestarts))
		b.runningLocked(u, u.name, at)
	case toStopped:
		u.mainPID = 0
		b.setLocked(u, "inactive", "dead", at)
		b.logLocked(u, at, "Stopped left4me-server@"+u.name+".service - Left 4 Dead 2 server "+u.name+".")
	}
}

func (b *Backend) setLocked(u *unit, active, sub string, at time.Time) {
	if u.active != active || u.sub != sub {
		u.since = at
	}
	u.active, u.sub = active, sub
	b.touchLocked(u.name)
}

func (b *Backend) schedule(u *unit, at time.Time, t transition) {
	u.nextAt, u.next = at, t
	b.advance(u, b.opts.Now())
}

// startLocked moves the unit through activating/start to active/running.
func (b *Backend) startLocked(u *unit, name string, now time.Time) {
	u.known = true
	u.next = noTransition
	u.result = "success"
	b.setLocked(u, "activating", "start", now)
	b.logLocked(u, now, "Starting left4me-server@"+name+".service - Left 4 Dead 2 server "+name+"...")
	b.schedule(u, now.Add(b.opts.StartDelay), toRunning)
}

func (b *Backend) runningLocked(u *unit, name string, at time.Time) {
	if u.crashLoop {
		u.loopAttempts++
		if u.loopAttempts > StartLimitBurst {
			u.crashLoop = false
			u.mainPID = 0
			u.result = "start-limit-hit"
			b.setLocked(u, "failed", "failed", at)
			b.logLocked(u, at, "Start request repeated too quickly.")
			b.logLocked(u, at, "Failed with result 'start-limit-hit'.")
			return
		}
		b.logLocked(u, at, "Main process exited, code=dumped, status=11/SEGV")
		b.autoRestartLocked(u, name, at)
		return
	}
	b.nextPID++
	u.mainPID = b.nextPID
	b.setLocked(u, "active", "running", at)
	b.logLocked(u, at, "Started left4me-server@"+name+".service - Left 4 Dead 2 server "+name+".")
	b.writeLayerLogLocked(name, at)
}

// autoRestartLocked is Restart=on-failure: activating/auto-restart for
// RestartDelay, then a new start.
func (b *Backend) autoRestartLocked(u *unit, name string, now time.Time) {
	u.mainPID = 0
	b.setLocked(u, "activating", "auto-restart", now)
	b.schedule(u, now.Add(b.opts.RestartDelay), toRestarted)
}

// stopLocked starts stopping the unit and reports whether the caller has
// to wait for StopDelay.
func (b *Backend) stopLocked(u *unit, name string, now time.Time) bool {
	u.next = noTransition
	if u.active == "inactive" || u.active == "failed" {
		// systemctl stop of a failed unit leaves it failed until reset;
		// disable --now on it ends in inactive, which is what we model.
		b.setLocked(u, "inactive", "dead", now)
		u.mainPID = 0
		return false
	}
	b.setLocked(u, "deactivating", "stop-sigterm", now)
	b.logLocked(u, now, "Stopping left4me-server@"+name+".service - Left 4 Dead 2 server "+name+"...")
	b.schedule(u, now.Add(b.opts.StopDelay), toStopped)
	return b.opts.StopDelay > 0 && u.active == "deactivating"
}

// logLine is one line of a unit's simulated log and when it was made.
type logLine struct {
	At   time.Time `json:"at,omitzero"`
	Text string    `json:"text"`
}

// logLocked adds a line made at the time at to the unit's log.
func (b *Backend) logLocked(u *unit, at time.Time, line string) {
	u.journal = append(u.journal, logLine{At: at, Text: line})
	b.wakeJournalLocked()
}

func (b *Backend) wakeJournalLocked() {
	close(b.journalCh)
	b.journalCh = make(chan struct{})
}
