package sudo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	sddbus "github.com/coreos/go-systemd/v22/dbus"
	"github.com/godbus/dbus/v5"

	"github.com/left4me/left4me/hostbackend"
)

// fakeUnit is one unit as the fake systemd on the bus knows it: what
// ListUnitsByNames answers and its other properties as D-Bus values.
type fakeUnit struct {
	load, active, sub string
	job               uint32
	props             map[string]any // a missing property is one this systemd lacks
}

// fakeSystemd answers Show's calls as systemd would over the bus, and
// counts them.
type fakeSystemd struct {
	mu    sync.Mutex
	units map[string]fakeUnit // by unit name
	lists int                 // ListUnitsByNames calls
	gets  []string            // "unit property" of each Properties.Get
	fail  error               // every call fails with it
}

func unitPath(unit string) dbus.ObjectPath {
	return dbus.ObjectPath(unitPathRoot + sddbus.PathBusEscape(unit))
}

func (f *fakeSystemd) listUnitsByNames(_ context.Context, units []string) ([]listedUnit, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lists++
	if f.fail != nil {
		return nil, f.fail
	}
	out := make([]listedUnit, len(units))
	for i, u := range units {
		fu, ok := f.units[u]
		if !ok {
			fu = fakeUnit{load: "not-found", active: "inactive", sub: "dead"}
		}
		out[i] = listedUnit{Name: u, LoadState: fu.load, ActiveState: fu.active, SubState: fu.sub, JobID: fu.job, Path: unitPath(u)}
	}
	return out, nil
}

func (f *fakeSystemd) getProperties(_ context.Context, paths []dbus.ObjectPath, want []unitProperty) ([]map[string]any, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return nil, f.fail
	}
	out := make([]map[string]any, len(paths))
	for i, p := range paths {
		unit, _ := pathUnescape(strings.TrimPrefix(string(p), unitPathRoot))
		fu := f.units[unit]
		out[i] = map[string]any{}
		for _, prop := range want {
			f.gets = append(f.gets, unit+" "+prop.name)
			out[i][prop.name] = fu.props[prop.name] // nil: UnknownProperty
		}
	}
	return out, nil
}

func (f *fakeSystemd) set(unit string, fu fakeUnit) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.units[unit] = fu
}

// counts returns the calls since the last counts.
func (f *fakeSystemd) counts() (lists int, gets []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	lists, gets = f.lists, f.gets
	f.lists, f.gets = 0, nil
	sort.Strings(gets)
	return lists, gets
}

// unitFacts is one unit's state, written both as systemctl show prints it
// and as the bus answers it.
type unitFacts struct {
	name                        string
	load, active, sub, result   string
	nRestarts, mainPID          uint32
	stateChange, activeEnter    uint64 // µs since the epoch; 0 never
	fileState                   string
	cpu, memCurrent, tasks, max uint64 // math.MaxUint64: not set / infinity
}

func (u unitFacts) helperText() string {
	unset := func(v uint64, none string) string {
		if v == math.MaxUint64 {
			return none
		}
		return fmt.Sprint(v)
	}
	stamp := func(us uint64) string {
		if us == 0 {
			return ""
		}
		return fmt.Sprintf("@%d", us/1e6)
	}
	if u.load == "not-found" {
		return fmt.Sprintf("Id=%s\nLoadState=not-found\nActiveState=inactive\nSubState=dead\nStateChangeTimestamp=n/a\n", hostbackend.UnitName(u.name))
	}
	// systemd 252 has no MemoryPeak: systemctl show leaves it out.
	return fmt.Sprintf("Result=%s\nNRestarts=%d\nMainPID=%d\nMemoryCurrent=%s\nCPUUsageNSec=%s\nTasksCurrent=%s\nMemoryMax=%s\n"+
		"Id=%s\nLoadState=%s\nActiveState=%s\nSubState=%s\nStateChangeTimestamp=%s\nActiveEnterTimestamp=%s\nUnitFileState=%s\n",
		u.result, u.nRestarts, u.mainPID, unset(u.memCurrent, "[not set]"), unset(u.cpu, "[not set]"), unset(u.tasks, "[not set]"),
		unset(u.max, "infinity"), hostbackend.UnitName(u.name), u.load, u.active, u.sub, stamp(u.stateChange),
		stamp(u.activeEnter), u.fileState)
}

func (u unitFacts) busUnit() fakeUnit {
	return fakeUnit{load: u.load, active: u.active, sub: u.sub, props: map[string]any{
		"Result": u.result, "NRestarts": u.nRestarts, "MainPID": u.mainPID,
		"StateChangeTimestamp": u.stateChange, "ActiveEnterTimestamp": u.activeEnter, "UnitFileState": u.fileState,
		"CPUUsageNSec": u.cpu, "MemoryCurrent": u.memCurrent, "TasksCurrent": u.tasks, "MemoryMax": u.max,
	}}
}

// newFakeBus returns a busConn over a fake systemd, subscribed.
func newFakeBus() (*busConn, *fakeSystemd) {
	f := &fakeSystemd{units: map[string]fakeUnit{}}
	c := newBusConn()
	c.calls, c.subscribed = f, true
	return c, f
}

// TestBusShowMatchesHelper: for the same unit facts, the bus and the show
// helper give the same UnitStatus.
func TestBusShowMatchesHelper(t *testing.T) {
	const none = math.MaxUint64
	facts := []unitFacts{
		{name: "coop-1", load: "loaded", active: "active", sub: "running", result: "success", nRestarts: 2, mainPID: 4242,
			stateChange: 1732565804_123456, activeEnter: 1732565804_123456, fileState: "enabled",
			cpu: 12_345_678_901, memCurrent: 300 << 20, tasks: 12, max: 2 << 30},
		{name: "versus", load: "loaded", active: "activating", sub: "auto-restart", result: "exit-code", nRestarts: 7,
			stateChange: 1732565900_999999, activeEnter: 1732565800_000001, fileState: "enabled",
			cpu: 5_000_000, memCurrent: none, tasks: none, max: none},
		{name: "fresh", load: "loaded", active: "inactive", sub: "dead", result: "success", fileState: "disabled",
			cpu: none, memCurrent: none, tasks: none, max: none},
		{name: "oom", load: "loaded", active: "failed", sub: "failed", result: "oom-kill", nRestarts: 1,
			stateChange: 1732566000_000000, fileState: "enabled-runtime", cpu: 90_000, memCurrent: none, tasks: none, max: 1 << 30},
		{name: "masked", load: "masked", active: "inactive", sub: "dead", result: "success", fileState: "masked",
			cpu: none, memCurrent: none, tasks: none, max: none},
		{name: "gone", load: "not-found"},
	}
	var text []string
	names := make([]string, len(facts))
	c, f := newFakeBus()
	for i, u := range facts {
		names[i] = u.name
		text = append(text, u.helperText())
		if u.load != "not-found" {
			f.set(hostbackend.UnitName(u.name), u.busUnit())
		}
	}
	fromHelper, err := parseShow(strings.Split(strings.Join(text, "\n"), "\n"), names)
	if err != nil {
		t.Fatal(err)
	}
	fromBus, err := c.show(context.Background(), names)
	if err != nil {
		t.Fatal(err)
	}
	for i := range names {
		if !reflect.DeepEqual(fromBus[i], fromHelper[i]) {
			t.Errorf("%s:\n bus    %+v\n helper %+v", names[i], fromBus[i], fromHelper[i])
		}
	}
	if fromBus[0].Since != time.Unix(1732565804, 0).UTC() || !fromBus[0].Enabled || fromBus[0].MainPID != 4242 {
		t.Errorf("coop-1 over the bus = %+v", fromBus[0])
	}
	if fromBus[5].Known {
		t.Errorf("a unit systemd does not know came back Known: %+v", fromBus[5])
	}
}

// TestBusShowReadsOnlyWhatChanged: a steady sweep is one ListUnitsByNames
// (plus the figures of running units); a signal, a new state or a job
// brings a unit's properties back.
func TestBusShowReadsOnlyWhatChanged(t *testing.T) {
	c, f := newFakeBus()
	running := unitFacts{name: "a", load: "loaded", active: "active", sub: "running", result: "success", mainPID: 10,
		fileState: "enabled", cpu: 1, memCurrent: 2, tasks: 3, max: math.MaxUint64}
	stopped := unitFacts{name: "b", load: "loaded", active: "inactive", sub: "dead", result: "success", fileState: "disabled"}
	f.set("left4me-server@a.service", running.busUnit())
	f.set("left4me-server@b.service", stopped.busUnit())
	names := []string{"a", "b"}
	show := func() []hostbackend.UnitStatus {
		t.Helper()
		st, err := c.show(context.Background(), names)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	// This systemd has no MemoryPeak (as 252): asked once, then no more.
	lacks := false
	all := func(unit string) []string {
		var g []string
		for _, p := range busProperties {
			if !lacks || p.name != "MemoryPeak" {
				g = append(g, unit+" "+p.name)
			}
		}
		return g
	}
	figures := func(unit string) []string {
		var g []string
		for _, p := range figureProperties {
			if !lacks || p.name != "MemoryPeak" {
				g = append(g, unit+" "+p.name)
			}
		}
		return g
	}
	sorted := func(g ...[]string) []string {
		var out []string
		for _, x := range g {
			out = append(out, x...)
		}
		sort.Strings(out)
		return out
	}
	check := func(what string, wantGets []string) {
		t.Helper()
		lists, gets := f.counts()
		if lists != 1 || !reflect.DeepEqual(gets, wantGets) {
			t.Errorf("%s: %d ListUnitsByNames, Gets %q; want 1 and %q", what, lists, gets, wantGets)
		}
	}
	const ua, ub = "left4me-server@a.service", "left4me-server@b.service"

	show()
	check("first sweep", sorted(all(ua), all(ub)))
	lacks = true
	show()
	check("steady sweep", sorted(figures(ua)))

	// The figures are read again; the rest comes from the cache.
	running.cpu = 99
	f.set(ua, running.busUnit())
	show()
	check("figures", sorted(figures(ua)))

	// A crash systemd restarted between two sweeps: same state, but a
	// PropertiesChanged signal came.
	running.nRestarts, running.mainPID = 1, 11
	f.set(ua, running.busUnit())
	c.DeliverSignal(propertiesIface, "PropertiesChanged", &dbus.Signal{Path: unitPath(ua)})
	if st := show()[0]; st.NRestarts != 1 || st.MainPID != 11 {
		t.Errorf("after PropertiesChanged: %+v", st)
	}
	check("after a signal", sorted(all(ua)))

	// A new state without a signal (as after a reconnection).
	stopped.active, stopped.sub = "activating", "start"
	f.set(ub, stopped.busUnit())
	show()
	check("new state", sorted(figures(ua), all(ub)))

	// A disable without --now: UnitFilesChanged says nothing of which.
	stopped.fileState = "enabled"
	f.set(ub, stopped.busUnit())
	c.DeliverSignal(managerIface, "UnitFilesChanged", &dbus.Signal{Path: systemdPath})
	if !show()[1].Enabled {
		t.Error("UnitFileState=enabled not read after UnitFilesChanged")
	}
	check("after UnitFilesChanged", sorted(all(ua), all(ub)))

	// Not subscribed: nothing read is trusted.
	c.subscribed = false
	show()
	check("unsubscribed", sorted(all(ua), all(ub)))
}

// TestBusSignalsReachWatch: the signals of left4me-server@ units reach
// Watch as instance names; other units and broken names do not; a closed
// connection ends Watch with an error.
func TestBusSignalsReachWatch(t *testing.T) {
	b := newBus(slog.Default)
	var conns []*busConn
	b.dial = func(_ context.Context, c *busConn) error {
		c.calls, c.subscribed = &fakeSystemd{units: map[string]fakeUnit{}}, true
		conns = append(conns, c)
		return nil
	}
	backend := &Backend{bus: b, log: slog.Default()}
	got := make(chan string, 100)
	ended := make(chan error, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { ended <- backend.Watch(ctx, func(name string) { got <- name }) }()
	c := waitWatcher(t, b)

	c.DeliverSignal(propertiesIface, "PropertiesChanged", &dbus.Signal{Path: unitPath("left4me-server@coop-1.service")})
	expectName(t, got, "coop-1")
	c.DeliverSignal(propertiesIface, "PropertiesChanged", &dbus.Signal{Path: unitPath("ssh.service")})
	c.DeliverSignal(propertiesIface, "PropertiesChanged", &dbus.Signal{Path: unitPath("left4me-server@Bad Name.service")})
	c.DeliverSignal(managerIface, "UnitNew", &dbus.Signal{Body: []any{"left4me-server@new_1.service", unitPath("left4me-server@new_1.service")}})
	expectName(t, got, "new_1")
	c.DeliverSignal(managerIface, "UnitRemoved", &dbus.Signal{Body: []any{"left4me-web.service", unitPath("left4me-web.service")}})
	c.DeliverSignal(managerIface, "JobRemoved", &dbus.Signal{Body: []any{uint32(7), dbus.ObjectPath("/org/freedesktop/systemd1/job/7"), "left4me-server@versus.service", "done"}})
	expectName(t, got, "versus")
	c.DeliverSignal(managerIface, "JobRemoved", &dbus.Signal{Body: []any{"short"}})
	c.DeliverSignal(managerIface, "UnitRemoved", &dbus.Signal{Body: []any{"left4me-server@x.service.bak", dbus.ObjectPath("/x")}})

	// UnitFilesChanged names every unit read or signalled so far.
	c.DeliverSignal(managerIface, "UnitFilesChanged", &dbus.Signal{})
	var names []string
	for range 3 {
		names = append(names, <-got)
	}
	sort.Strings(names)
	if want := []string{"coop-1", "new_1", "versus"}; !reflect.DeepEqual(names, want) {
		t.Errorf("after UnitFilesChanged: %q, want %q", names, want)
	}
	select {
	case n := <-got:
		t.Errorf("a signal that names no instance reached Watch: %q", n)
	default:
	}

	c.Terminate()
	if err := <-ended; err == nil || !strings.Contains(err.Error(), "connection closed") {
		t.Errorf("Watch after the connection closed = %v", err)
	}
	// The next Watch connects again.
	go func() { ended <- backend.Watch(ctx, func(string) {}) }()
	waitWatcher(t, b)
	if len(conns) != 2 {
		t.Errorf("%d connections, want 2", len(conns))
	}
	cancel()
	if err := <-ended; !errors.Is(err, context.Canceled) {
		t.Errorf("Watch after its context ended = %v", err)
	}
}

// waitWatcher waits until a Watch has registered on b's connection.
func waitWatcher(t *testing.T, b *bus) *busConn {
	t.Helper()
	for range 5000 {
		b.mu.Lock()
		c := b.cur
		b.mu.Unlock()
		if c != nil {
			c.mu.Lock()
			n := len(c.watchers)
			c.mu.Unlock()
			if n > 0 {
				return c
			}
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatal("Watch did not register")
	return nil
}

func expectName(t *testing.T, got <-chan string, want string) {
	t.Helper()
	select {
	case n := <-got:
		if n != want {
			t.Errorf("Watch reported %q, want %q", n, want)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("Watch did not report %q", want)
	}
}

// TestShowFallsBackToTheHelper: without a bus, Show asks the show helper
// and says so once; it tries the bus again after busRetryDelay, and a bus
// that answers takes over until a call fails.
func TestShowFallsBackToTheHelper(t *testing.T) {
	h := newStubHost(t)
	var logged bytes.Buffer
	h.backend.SetLogger(slog.New(slog.NewTextHandler(&logged, nil)))
	h.set(t, "unit-coop-1", "active running yes 0 4242 1732565804 success")
	b := h.backend.bus
	now := time.Unix(1_800_000_000, 0)
	b.now = func() time.Time { return now }
	dials := 0
	realDial := b.dial
	var fake *fakeSystemd
	b.dial = func(ctx context.Context, c *busConn) error {
		dials++
		if fake == nil {
			return realDial(ctx, c) // the test binary's bus address does not exist
		}
		c.calls, c.subscribed = fake, true
		return nil
	}
	show := func() hostbackend.UnitStatus {
		t.Helper()
		st, err := h.backend.Show(context.Background(), "coop-1")
		if err != nil {
			t.Fatal(err)
		}
		return st[0]
	}
	helperShows := func() int {
		n := 0
		for _, c := range h.calls(t) {
			if c.Verb == "show" {
				n++
			}
		}
		return n
	}

	if st := show(); st.MainPID != 4242 || !st.Enabled {
		t.Errorf("Show without a bus = %+v", st)
	}
	show()
	if dials != 1 || helperShows() != 2 {
		t.Errorf("two Shows without a bus: %d dials, %d helper calls; want 1 and 2", dials, helperShows())
	}
	if n := strings.Count(logged.String(), "system bus unreachable"); n != 1 {
		t.Errorf("logged %d times that the bus is unreachable, want once:\n%s", n, logged.String())
	}

	now = now.Add(busRetryDelay)
	show()
	if dials != 2 || helperShows() != 3 {
		t.Errorf("after the retry delay: %d dials, %d helper calls; want 2 and 3", dials, helperShows())
	}
	if n := strings.Count(logged.String(), "system bus unreachable"); n != 1 {
		t.Errorf("a second failure in a row was logged again:\n%s", logged.String())
	}

	// The bus is back.
	fake = &fakeSystemd{units: map[string]fakeUnit{}}
	fake.set("left4me-server@coop-1.service", unitFacts{load: "loaded", active: "active", sub: "running",
		result: "success", mainPID: 5000, fileState: "enabled"}.busUnit())
	now = now.Add(busRetryDelay)
	if st := show(); st.MainPID != 5000 {
		t.Errorf("Show with the bus back = %+v, want the bus's MainPID 5000", st)
	}
	if helperShows() != 3 || !strings.Contains(logged.String(), "system bus reachable again") {
		t.Errorf("with the bus back: %d helper calls (want 3), log:\n%s", helperShows(), logged.String())
	}

	// A call that fails: the helper answers, logged once more.
	fake.fail = errors.New("org.freedesktop.DBus.Error.NoReply")
	if st := show(); st.MainPID != 4242 {
		t.Errorf("Show after a failed call = %+v, want the helper's", st)
	}
	if n := strings.Count(logged.String(), "system bus unreachable"); n != 2 {
		t.Errorf("a failure after the bus came back logged %d times in all, want 2:\n%s", n, logged.String())
	}
}

func TestPathUnescape(t *testing.T) {
	for _, unit := range []string{"left4me-server@coop-1.service", "left4me-server@a_b.service", "x"} {
		p := unitPath(unit)
		got, ok := pathUnescape(strings.TrimPrefix(string(p), unitPathRoot))
		if !ok || got != unit {
			t.Errorf("pathUnescape(%s) = %q, %v; want %q", p, got, ok, unit)
		}
	}
	for _, bad := range []string{"a_2", "a_", "a_zz"} {
		if got, ok := pathUnescape(bad); ok {
			t.Errorf("pathUnescape(%q) = %q, want refused", bad, got)
		}
	}
	if name, ok := instanceOfPath(unitPath("left4me-server@coop-1.service")); !ok || name != "coop-1" {
		t.Errorf("instanceOfPath = %q, %v", name, ok)
	}
}

// BenchmarkBusShowSteady is the panel's side of a steady sweep of 50
// units over the bus (the calls answered in memory): one ListUnitsByNames
// and the figures of the 25 running ones.
func BenchmarkBusShowSteady(b *testing.B) {
	c, f := newFakeBus()
	names := make([]string, 50)
	for i := range names {
		names[i] = fmt.Sprintf("s%02d", i)
		u := unitFacts{load: "loaded", active: "inactive", sub: "dead", result: "success", fileState: "disabled"}
		if i%2 == 0 {
			u = unitFacts{load: "loaded", active: "active", sub: "running", result: "success", mainPID: uint32(1000 + i),
				stateChange: 1732565804_000000, fileState: "enabled", cpu: 1e9, memCurrent: 300 << 20, tasks: 10, max: math.MaxUint64}
		}
		f.set(hostbackend.UnitName(names[i]), u.busUnit())
	}
	ctx := context.Background()
	if _, err := c.show(ctx, names); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.show(ctx, names); err != nil {
			b.Fatal(err)
		}
		f.counts()
	}
}
