package sudo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	sddbus "github.com/coreos/go-systemd/v22/dbus"
	"github.com/godbus/dbus/v5"

	"github.com/left4me/left4me/hostbackend"
)

// Reading and watching systemd over the system bus.
//
// Debian's policy for org.freedesktop.systemd1 lets any user call
// ListUnitsByNames, Properties.Get and Subscribe, so the panel's own user
// reads its units' state without forking sudo and systemctl, and hears
// every change as systemd announces it. Writes (enable, disable, restart)
// stay with the root helper: they are behind polkit on the bus.
//
// One connection serves Show and Watch. It subscribes to systemd's
// signals when it is made; while it lives, a unit whose properties
// changed is marked, and Show asks Properties.Get only for marked units
// and for units whose state or job ListUnitsByNames reports differently
// from the last read, so a steady sweep is one call. When the bus cannot
// be reached or a call fails, Show falls back to the show helper (logged
// once) and tries the bus again after busRetryDelay.

const (
	systemdDest     = "org.freedesktop.systemd1"
	systemdPath     = dbus.ObjectPath("/org/freedesktop/systemd1")
	managerIface    = "org.freedesktop.systemd1.Manager"
	unitIface       = "org.freedesktop.systemd1.Unit"
	serviceIface    = "org.freedesktop.systemd1.Service"
	propertiesIface = "org.freedesktop.DBus.Properties"
	unitPathRoot    = "/org/freedesktop/systemd1/unit/"

	// busRetryDelay is how long Show keeps to the show helper after the
	// bus failed before it tries the bus again.
	busRetryDelay = 30 * time.Second
	// maxPendingCalls is how many Properties.Get calls Show keeps in
	// flight at once: the system bus refuses more than 128 pending replies
	// per connection (Debian's max_replies_per_connection).
	maxPendingCalls = 64
	// busCallTimeout bounds one Show over the bus; a bus that does not
	// answer within it counts as failed and the helper answers instead.
	busCallTimeout = 5 * time.Second
)

// systemBusAddress is the bus Show and Watch connect to: "" is the system
// bus (DBUS_SYSTEM_BUS_ADDRESS, else /run/dbus/system_bus_socket). The
// package's tests point it at a socket that does not exist.
var systemBusAddress = ""

// unitPathPrefix starts the object path of every left4me-server@ unit.
var unitPathPrefix = unitPathRoot + sddbus.PathBusEscape("left4me-server@")

// unitProperty is one property Show reads over the bus: the systemctl
// show key it stands for, and the D-Bus interface holding it.
type unitProperty struct {
	iface, name string
	// figure: it changes while the unit runs without a signal (cgroup
	// accounting), so it is read at every Show of a unit with a cgroup.
	// The others change only with a signal and are read once per change.
	figure bool
}

// busProperties are the properties the show helper asks for that
// ListUnitsByNames does not answer (it answers Id, LoadState,
// ActiveState, SubState). A property this systemd does not have
// (MemoryPeak before 255) reads as empty, as systemctl show leaves it out.
var busProperties = []unitProperty{
	{iface: serviceIface, name: "Result"},
	{iface: serviceIface, name: "NRestarts"},
	{iface: serviceIface, name: "MainPID"},
	{iface: unitIface, name: "StateChangeTimestamp"},
	{iface: unitIface, name: "UnitFileState"},
	{iface: unitIface, name: "ActiveEnterTimestamp"},
	{iface: serviceIface, name: "MemoryMax"},
	{iface: serviceIface, name: "CPUUsageNSec", figure: true},
	{iface: serviceIface, name: "MemoryCurrent", figure: true},
	{iface: serviceIface, name: "MemoryPeak", figure: true},
	{iface: serviceIface, name: "TasksCurrent", figure: true},
}

// figureProperties are the properties of busProperties marked figure.
var figureProperties = func() []unitProperty {
	var f []unitProperty
	for _, p := range busProperties {
		if p.figure {
			f = append(f, p)
		}
	}
	return f
}()

// hasCgroup tells whether a unit in this active state has processes, so
// its figures move without a signal. An inactive or failed unit's figures
// stay as they were (systemd keeps the last CPU time, and has no memory or
// tasks to count).
func hasCgroup(active string) bool {
	return active != "inactive" && active != "failed"
}

// listedUnit is one entry of ListUnitsByNames' answer, a(ssssssouso).
type listedUnit struct {
	Name        string
	Description string
	LoadState   string
	ActiveState string
	SubState    string
	Followed    string
	Path        dbus.ObjectPath
	JobID       uint32
	JobType     string
	JobPath     dbus.ObjectPath
}

// unitKey is what ListUnitsByNames says of a unit that decides whether
// the cached properties may still hold.
type unitKey struct {
	load, active, sub string
	job               uint32
}

func (u listedUnit) key() unitKey {
	return unitKey{u.LoadState, u.ActiveState, u.SubState, u.JobID}
}

// systemdCalls is the bus as Show uses it: the real connection, or a
// test's stand-in.
type systemdCalls interface {
	listUnitsByNames(ctx context.Context, units []string) ([]listedUnit, error)
	// getProperties reads props of each path, pipelined: their D-Bus
	// values by name, nil for a property this systemd does not have.
	getProperties(ctx context.Context, paths []dbus.ObjectPath, props []unitProperty) ([]map[string]any, error)
}

// cachedUnit is what Show last read of one unit.
type cachedUnit struct {
	key   unitKey
	props map[string]string // busProperties as systemctl show prints them
	valid bool              // false once a signal said the unit changed
	seq   uint64            // counts the signals about this unit
}

// busConn is one connection to the system bus: its signal handler, the
// properties read over it, and the watchers listening to it. A new
// connection starts with an empty cache and no watchers.
type busConn struct {
	calls      systemdCalls
	conn       *dbus.Conn // nil for a test's stand-in
	subscribed bool       // Subscribe succeeded: the cache may be trusted

	mu       sync.Mutex
	closed   bool
	cache    map[string]*cachedUnit // by unit name
	allSeq   uint64                 // counts signals about every unit at once
	watchers map[*busWatcher]struct{}
	// lacking are the properties this systemd does not have (MemoryPeak
	// before 255): read as empty, never asked again over this connection.
	lacking map[string]bool
}

func newBusConn() *busConn {
	return &busConn{cache: map[string]*cachedUnit{}, watchers: map[*busWatcher]struct{}{}, lacking: map[string]bool{}}
}

// bus holds the current connection and the fallback's state.
type bus struct {
	address string
	logger  func() *slog.Logger
	now     func() time.Time
	dial    func(ctx context.Context, b *busConn) error // connects b (tests replace it)

	mu      sync.Mutex
	cur     *busConn
	down    bool      // the last attempt failed (and was logged)
	retryAt time.Time // when Show tries the bus again after a failure
}

func newBus(logger func() *slog.Logger) *bus {
	b := &bus{address: systemBusAddress, logger: logger, now: time.Now}
	b.dial = b.dialSystemd
	return b
}

// connection returns the live connection, connecting when there is none.
// Show (force false) does not try again before retryAt after a failure;
// Watch (force true) tries at once, its caller backs off.
func (b *bus) connection(ctx context.Context, force bool) (*busConn, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if c := b.cur; c != nil {
		c.mu.Lock()
		closed := c.closed
		c.mu.Unlock()
		if !closed {
			return c, nil
		}
		b.cur = nil
	}
	if !force && b.down && b.now().Before(b.retryAt) {
		return nil, errBusWaiting
	}
	c := newBusConn()
	dialCtx, cancel := context.WithTimeout(ctx, busCallTimeout)
	defer cancel()
	if err := b.dial(dialCtx, c); err != nil {
		b.failedLocked(err)
		return nil, err
	}
	if b.down {
		b.down = false
		b.logger().Info("system bus reachable again: unit states are read over D-Bus")
	}
	b.cur = c
	return c, nil
}

// errBusWaiting is Show's answer while it waits to try the bus again.
var errBusWaiting = errors.New("waiting to try the system bus again")

// failed records that the bus failed: Show uses the helper until
// retryAt, and the first failure in a row is logged.
func (b *bus) failed(c *busConn, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cur == c {
		b.cur = nil
	}
	c.close()
	b.failedLocked(err)
}

func (b *bus) failedLocked(err error) {
	b.retryAt = b.now().Add(busRetryDelay)
	if !b.down {
		b.down = true
		b.logger().Warn("system bus unreachable: unit states are read with the show helper until it is back",
			"err", err, "retry_in", busRetryDelay)
	}
}

// dialSystemd connects c to the system bus, subscribes to systemd's
// signals and adds the matches for the ones Watch and the cache use.
func (b *bus) dialSystemd(ctx context.Context, c *busConn) error {
	opts := []dbus.ConnOption{dbus.WithSignalHandler(c), dbus.WithContext(context.Background())}
	var conn *dbus.Conn
	var err error
	if b.address == "" {
		conn, err = dbus.ConnectSystemBus(opts...)
	} else {
		conn, err = dbus.Connect(b.address, opts...)
	}
	if err != nil {
		return fmt.Errorf("connect to the system bus: %w", err)
	}
	c.conn = conn
	c.calls = busCalls{conn}
	matches := [][]dbus.MatchOption{
		{dbus.WithMatchSender(systemdDest), dbus.WithMatchInterface(managerIface)},
		{dbus.WithMatchSender(systemdDest), dbus.WithMatchInterface(propertiesIface),
			dbus.WithMatchMember("PropertiesChanged"), dbus.WithMatchPathNamespace(dbus.ObjectPath(strings.TrimSuffix(unitPathRoot, "/")))},
	}
	for _, m := range matches {
		if err := conn.AddMatchSignalContext(ctx, m...); err != nil {
			conn.Close()
			return fmt.Errorf("system bus: add a signal match: %w", err)
		}
	}
	// systemd sends unit signals only while a client is subscribed.
	if call := conn.Object(systemdDest, systemdPath).CallWithContext(ctx, managerIface+".Subscribe", 0); call.Err != nil {
		// Reads still work; without signals nothing read may be kept.
		b.logger().Warn("systemd refused Subscribe over D-Bus: every Show reads every unit", "err", call.Err)
	} else {
		c.subscribed = true
	}
	return nil
}

// busCalls is systemdCalls over a real connection.
type busCalls struct{ conn *dbus.Conn }

func (bc busCalls) listUnitsByNames(ctx context.Context, units []string) ([]listedUnit, error) {
	var out []listedUnit
	err := bc.conn.Object(systemdDest, systemdPath).CallWithContext(ctx, managerIface+".ListUnitsByNames", 0, units).Store(&out)
	if err != nil {
		return nil, fmt.Errorf("ListUnitsByNames: %w", err)
	}
	return out, nil
}

func (bc busCalls) getProperties(ctx context.Context, paths []dbus.ObjectPath, want []unitProperty) ([]map[string]any, error) {
	done := make(chan *dbus.Call, len(paths)*len(want))
	calls := make([]*dbus.Call, 0, cap(done))
	pending := 0
	wait := func() error {
		select {
		case <-done:
			pending--
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	for _, p := range paths {
		obj := bc.conn.Object(systemdDest, p)
		for _, prop := range want {
			if pending == maxPendingCalls {
				if err := wait(); err != nil {
					return nil, err
				}
			}
			calls = append(calls, obj.GoWithContext(ctx, propertiesIface+".Get", 0, done, prop.iface, prop.name))
			pending++
		}
	}
	for pending > 0 {
		if err := wait(); err != nil {
			return nil, err
		}
	}
	out := make([]map[string]any, len(paths))
	for i, p := range paths {
		props := make(map[string]any, len(want))
		for j, prop := range want {
			call := calls[i*len(want)+j]
			var derr dbus.Error
			if errors.As(call.Err, &derr) && derr.Name == "org.freedesktop.DBus.Error.UnknownProperty" {
				props[prop.name] = nil
				continue
			}
			if call.Err != nil {
				return nil, fmt.Errorf("Get %s of %s: %w", prop.name, p, call.Err)
			}
			var v dbus.Variant
			if err := call.Store(&v); err != nil {
				return nil, fmt.Errorf("Get %s of %s: %w", prop.name, p, err)
			}
			props[prop.name] = v.Value()
		}
		out[i] = props
	}
	return out, nil
}

// propertyText writes a property's D-Bus value as `systemctl show
// --timestamp=unix` prints it, so that unitStatus reads both alike.
func propertyText(name string, v any) (string, error) {
	switch v := v.(type) {
	case nil:
		return "", nil
	case string:
		return v, nil
	case uint32:
		return strconv.FormatUint(uint64(v), 10), nil
	case uint64:
		if strings.HasSuffix(name, "Timestamp") {
			if v == 0 {
				return "", nil
			}
			return "@" + strconv.FormatUint(v/1_000_000, 10), nil // microseconds; systemctl prints whole seconds
		}
		return strconv.FormatUint(v, 10), nil
	case int32:
		return strconv.FormatInt(int64(v), 10), nil
	case int64:
		return strconv.FormatInt(v, 10), nil
	case bool:
		if v {
			return "yes", nil
		}
		return "no", nil
	}
	return "", fmt.Errorf("unexpected D-Bus type %T", v)
}

// show reads the units of names (one batch, distinct) over c: one
// ListUnitsByNames, and the properties of only the units that changed
// since the last read.
func (c *busConn) show(ctx context.Context, names []string) ([]hostbackend.UnitStatus, error) {
	units := make([]string, len(names))
	for i, n := range names {
		units[i] = hostbackend.UnitName(n)
	}
	// The marks before asking: a signal after this point keeps what is
	// read now from being trusted later.
	c.mu.Lock()
	allSeq := c.allSeq
	seqs := make([]uint64, len(units))
	for i, u := range units {
		if e := c.cache[u]; e != nil {
			seqs[i] = e.seq
		}
	}
	c.mu.Unlock()

	listed, err := c.calls.listUnitsByNames(ctx, units)
	if err != nil {
		return nil, err
	}
	if len(listed) != len(units) {
		return nil, fmt.Errorf("ListUnitsByNames answered %d units for %d names", len(listed), len(units))
	}
	props := make([]map[string]string, len(units))
	var stale, moving []int // indexes of units to read whole, of units to read the figures of
	c.mu.Lock()
	for i, l := range listed {
		if l.Name != units[i] {
			c.mu.Unlock()
			return nil, fmt.Errorf("ListUnitsByNames answered %q where %q was asked", l.Name, units[i])
		}
		if l.LoadState == "not-found" {
			continue
		}
		if e := c.cache[units[i]]; c.subscribed && e != nil && e.valid && e.key == l.key() && e.seq == seqs[i] && c.allSeq == allSeq {
			props[i] = e.props
			if hasCgroup(l.ActiveState) {
				moving = append(moving, i)
			}
			continue
		}
		stale = append(stale, i)
	}
	c.mu.Unlock()

	if err := c.read(ctx, listed, stale, busProperties, props); err != nil {
		return nil, err
	}
	c.mu.Lock()
	for _, i := range stale {
		e := c.cache[units[i]]
		if e == nil {
			e = &cachedUnit{}
			c.cache[units[i]] = e
		}
		e.key, e.props = listed[i].key(), props[i]
		e.valid = c.subscribed && e.seq == seqs[i] && c.allSeq == allSeq
	}
	c.mu.Unlock()
	// The cached maps are shared: the figures go into copies.
	for _, i := range moving {
		props[i] = maps.Clone(props[i])
	}
	if err := c.read(ctx, listed, moving, figureProperties, props); err != nil {
		return nil, err
	}

	out := make([]hostbackend.UnitStatus, len(names))
	for i, l := range listed {
		block := map[string]string{"Id": l.Name, "LoadState": l.LoadState, "ActiveState": l.ActiveState, "SubState": l.SubState}
		for k, v := range props[i] {
			block[k] = v
		}
		st, err := unitStatus(names[i], block)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", l.Name, err)
		}
		out[i] = st
	}
	return out, nil
}

// read asks want of the units listed[i] for i in which, pipelined, and
// writes them into props[i] as systemctl show prints them.
func (c *busConn) read(ctx context.Context, listed []listedUnit, which []int, want []unitProperty, props []map[string]string) error {
	if len(which) == 0 {
		return nil
	}
	paths := make([]dbus.ObjectPath, len(which))
	for j, i := range which {
		paths[j] = listed[i].Path
	}
	// What this systemd does not have is not asked again.
	ask := make([]unitProperty, 0, len(want))
	c.mu.Lock()
	for _, p := range want {
		if !c.lacking[p.name] {
			ask = append(ask, p)
		}
	}
	c.mu.Unlock()
	read, err := c.calls.getProperties(ctx, paths, ask)
	if err != nil {
		return err
	}
	if len(read) != len(paths) {
		return fmt.Errorf("properties of %d units read for %d asked", len(read), len(paths))
	}
	c.mu.Lock()
	for _, p := range ask {
		if v, ok := read[0][p.name]; ok && v == nil {
			c.lacking[p.name] = true
		}
	}
	c.mu.Unlock()
	for j, i := range which {
		if props[i] == nil {
			props[i] = make(map[string]string, len(busProperties))
		}
		for _, prop := range want {
			if !slices.Contains(ask, prop) {
				props[i][prop.name] = ""
				continue
			}
			v, ok := read[j][prop.name]
			if !ok {
				return fmt.Errorf("%s: no %s", listed[i].Name, prop.name)
			}
			if props[i][prop.name], err = propertyText(prop.name, v); err != nil {
				return fmt.Errorf("%s: %s: %w", listed[i].Name, prop.name, err)
			}
		}
	}
	return nil
}

// showBus answers one batch over the bus; ok is false when the bus is
// unreachable or failed, and the helper must answer instead.
func (b *Backend) showBus(ctx context.Context, names []string) (statuses []hostbackend.UnitStatus, ok bool) {
	c, err := b.bus.connection(ctx, false)
	if err != nil {
		return nil, false
	}
	callCtx, cancel := context.WithTimeout(ctx, busCallTimeout)
	defer cancel()
	statuses, err = c.show(callCtx, names)
	if err != nil {
		if ctx.Err() == nil {
			b.bus.failed(c, err)
		}
		return nil, false
	}
	return statuses, true
}

// DeliverSignal is godbus's signal handler of the connection. It runs on
// the connection's reading goroutine, before any reply read after the
// signal is handed out, so a Show that started after systemd sent a
// signal sees its mark. It never blocks: watchers are woken, not called.
func (c *busConn) DeliverSignal(iface, member string, sig *dbus.Signal) {
	switch iface + "." + member {
	case propertiesIface + ".PropertiesChanged":
		if name, ok := instanceOfPath(sig.Path); ok {
			c.changed(name)
		}
	case managerIface + ".UnitNew", managerIface + ".UnitRemoved", managerIface + ".JobRemoved":
		// UnitNew and UnitRemoved: (s id, o path); JobRemoved: (u id, o job, s unit, s result).
		i := 0
		if member == "JobRemoved" {
			i = 2
		}
		if i < len(sig.Body) {
			if unit, ok := sig.Body[i].(string); ok {
				if name, ok := instanceOfUnit(unit); ok {
					c.changed(name)
				}
			}
		}
	case managerIface + ".UnitFilesChanged", managerIface + ".Reloading":
		// Some unit was enabled or disabled, or systemd reloads: which
		// one is not said, so every unit read so far may have changed.
		c.mu.Lock()
		c.allSeq++
		for unit, e := range c.cache {
			e.valid = false
			if name, ok := instanceOfUnit(unit); ok {
				c.wakeLocked(name)
			}
		}
		c.mu.Unlock()
	}
}

// changed marks the instance's unit as changed and wakes the watchers.
func (c *busConn) changed(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	unit := hostbackend.UnitName(name)
	e := c.cache[unit]
	if e == nil {
		e = &cachedUnit{}
		c.cache[unit] = e
	}
	e.valid = false
	e.seq++
	c.wakeLocked(name)
}

func (c *busConn) wakeLocked(name string) {
	for w := range c.watchers {
		w.pending[name] = struct{}{}
		select {
		case w.wake <- struct{}{}:
		default:
		}
	}
}

// Terminate is called by godbus when the connection closes (the bus went
// away, or close): watchers end, nothing read over it is kept.
func (c *busConn) Terminate() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	c.closed = true
	c.cache = map[string]*cachedUnit{}
	for w := range c.watchers {
		close(w.done)
	}
	clear(c.watchers)
}

func (c *busConn) close() {
	if c.conn != nil {
		c.conn.Close() // calls Terminate
		return
	}
	c.Terminate()
}

// busWatcher is one Watch call's mailbox: the names signalled since it
// last looked.
type busWatcher struct {
	wake    chan struct{}
	done    chan struct{} // closed when the connection closes
	pending map[string]struct{}
}

// Watch implements hostbackend.Watcher: it subscribes to systemd over the
// system bus and calls changed with the instance name of every
// left4me-server@ unit that signals a change (PropertiesChanged, UnitNew,
// UnitRemoved, JobRemoved), and with every instance read so far when unit
// files changed or systemd reloaded. It returns ctx.Err() when ctx ends,
// and an error when the bus cannot be reached or the connection drops.
func (b *Backend) Watch(ctx context.Context, changed func(name string)) error {
	c, err := b.bus.connection(ctx, true)
	if err != nil {
		return fmt.Errorf("watch systemd: %w", err)
	}
	if !c.subscribed {
		return errors.New("watch systemd: systemd refused Subscribe over D-Bus")
	}
	w := &busWatcher{wake: make(chan struct{}, 1), done: make(chan struct{}), pending: map[string]struct{}{}}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return errors.New("watch systemd: the system bus connection closed")
	}
	c.watchers[w] = struct{}{}
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.watchers, w)
		c.mu.Unlock()
	}()
	var names []string
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-w.done:
			return errors.New("watch systemd: the system bus connection closed")
		case <-w.wake:
		}
		c.mu.Lock()
		names = names[:0]
		for n := range w.pending {
			names = append(names, n)
		}
		clear(w.pending)
		c.mu.Unlock()
		for _, n := range names {
			changed(n)
		}
	}
}

var _ hostbackend.Watcher = (*Backend)(nil)

// instanceOfPath returns the instance name of a left4me-server@ unit's
// object path.
func instanceOfPath(p dbus.ObjectPath) (string, bool) {
	rest, ok := strings.CutPrefix(string(p), unitPathRoot)
	if !ok || !strings.HasPrefix(string(p), unitPathPrefix) {
		return "", false
	}
	unit, ok := pathUnescape(rest)
	if !ok {
		return "", false
	}
	return instanceOfUnit(unit)
}

// instanceOfUnit returns the instance name of left4me-server@NAME.service
// when NAME keeps the name rule.
func instanceOfUnit(unit string) (string, bool) {
	name, ok := strings.CutPrefix(unit, "left4me-server@")
	if !ok {
		return "", false
	}
	name, ok = strings.CutSuffix(name, ".service")
	if !ok || hostbackend.ValidateName(name) != nil {
		return "", false
	}
	return name, true
}

// pathUnescape undoes systemd's bus label escaping (_XX for a byte XX).
func pathUnescape(s string) (string, bool) {
	var out strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '_' {
			out.WriteByte(s[i])
			continue
		}
		if i+3 > len(s) {
			return "", false
		}
		v, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
		if err != nil {
			return "", false
		}
		out.WriteByte(byte(v))
		i += 2
	}
	return out.String(), true
}
