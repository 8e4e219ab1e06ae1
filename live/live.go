// Package live is what the game servers themselves say: a sweep asks
// every running server's game (the Source query protocol through the
// backend's hostbackend.Live) every Interval, keeps each answer in memory
// for the pages and the API, and stores one sample per server per sweep,
// pruned after Retention.
//
// A server systemd calls running whose game has not answered for
// NotAnsweringAfter sweeps in a row is "not answering": a hung srcds
// stands out from a merely quiet one.
package live

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/left4me/left4me/hostbackend"
	"github.com/left4me/left4me/store"
)

// Defaults of Options.
const (
	DefaultInterval  = 10 * time.Second
	DefaultRetention = 14 * 24 * time.Hour
	// QueryTimeout bounds one sweep's queries.
	QueryTimeout = 2 * time.Second
	// NotAnsweringAfter is how many sweeps in a row without an answer
	// make a running server "not answering".
	NotAnsweringAfter = 2
	// pruneEvery is how often the sweep deletes old samples.
	pruneEvery = time.Hour
	// freshFor is how old an answer may be for Look to reuse it.
	freshFor = 2 * time.Second
)

// Options configures New.
type Options struct {
	DB   *store.DB
	Host hostbackend.Live
	// Interval is the time between sweeps (default DefaultInterval).
	Interval time.Duration
	// Retention is how long samples are kept (default DefaultRetention).
	Retention time.Duration
	// Clock is the time (default time.Now).
	Clock  func() time.Time
	Logger *slog.Logger
}

// View is the latest a server's game said, as the pages show it.
type View struct {
	hostbackend.LiveInfo
	// At is when it was asked.
	At time.Time
	// LastAnswer is when it last answered; zero if never since the
	// panel started.
	LastAnswer time.Time
	// Misses is how many sweeps in a row got no answer.
	Misses int
}

// NotAnswering reports whether the game has missed NotAnsweringAfter
// sweeps in a row.
func (v View) NotAnswering() bool { return v.Misses >= NotAnsweringAfter }

// Sweeper runs the sweeps and holds their answers.
type Sweeper struct {
	opts Options

	sweep     sync.Mutex // one sweep at a time
	lastPrune time.Time

	mu    sync.RWMutex
	views map[string]View // by server name
	// gen counts the changes of what the views show (see Generation).
	gen atomic.Uint64
}

// New returns a Sweeper; Run starts its sweeps.
func New(opts Options) *Sweeper {
	if opts.Interval <= 0 {
		opts.Interval = DefaultInterval
	}
	if opts.Retention <= 0 {
		opts.Retention = DefaultRetention
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Sweeper{opts: opts, views: map[string]View{}}
}

// Run sweeps every Interval until ctx ends.
func (s *Sweeper) Run(ctx context.Context) {
	t := time.NewTicker(s.opts.Interval)
	defer t.Stop()
	for {
		if err := s.Sweep(ctx); err != nil && ctx.Err() == nil {
			s.opts.Logger.Warn("live sweep failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Sweep asks every running server once, stores a sample of each and
// forgets the servers that no longer run.
func (s *Sweeper) Sweep(ctx context.Context) error {
	s.sweep.Lock()
	defer s.sweep.Unlock()
	servers, err := s.opts.DB.ListServers(ctx)
	if err != nil {
		return err
	}
	var run []store.Server
	for _, srv := range servers {
		if srv.ActualState == hostbackend.StateRunning {
			run = append(run, srv)
		}
	}
	views := s.ask(ctx, run)
	s.mu.Lock()
	changed := len(views) != len(s.views)
	for name, v := range views {
		if old, ok := s.views[name]; !ok || shows(old) != shows(v) {
			changed = true
		}
	}
	s.views = views
	s.mu.Unlock()
	if changed {
		s.gen.Add(1)
	}

	samples := make([]store.LiveSample, 0, len(run))
	for _, srv := range run {
		v := views[srv.Name]
		samples = append(samples, store.LiveSample{ServerID: srv.ID, At: store.NewTime(v.At), Answered: v.Answered,
			Players: v.Players, MaxPlayers: v.MaxPlayers, Map: v.Map})
	}
	if err := s.opts.DB.AddLiveSamples(ctx, samples); err != nil {
		return err
	}
	if now := s.opts.Clock(); now.Sub(s.lastPrune) >= pruneEvery {
		if _, err := s.opts.DB.PruneLiveSamples(ctx, now.Add(-s.opts.Retention)); err != nil {
			return err
		}
		s.lastPrune = now
	}
	return nil
}

// Look asks one server now (its page was opened) unless its answer is
// fresher than a couple of seconds, and returns what it knows. It stores
// no sample: the sweep's samples stay evenly spaced.
func (s *Sweeper) Look(ctx context.Context, srv store.Server) View {
	if v, ok := s.View(srv.Name); ok && s.opts.Clock().Sub(v.At) < freshFor {
		return v
	}
	if srv.ActualState != hostbackend.StateRunning {
		v, _ := s.View(srv.Name)
		return v
	}
	v := s.ask(ctx, []store.Server{srv})[srv.Name]
	s.mu.Lock()
	old, ok := s.views[srv.Name]
	s.views[srv.Name] = v
	s.mu.Unlock()
	if !ok || shows(old) != shows(v) {
		s.gen.Add(1)
	}
	return v
}

// Generation is a counter that moves, after the views were stored, each
// time a sweep or a Look changed what a page shows of them (an answer
// came or stopped, the map, the players, a server began or ceased to be
// asked): a cache of a page built from Views is stale while the counter
// is past what it was when the cache was built. It only grows. The
// times of the answers (At, LastAnswer, RTT, the players' times) move at
// every sweep and do not count.
func (s *Sweeper) Generation() uint64 { return s.gen.Load() }

// shown is what pages show of a View, comparable.
type shown struct {
	answered, secure, notAnswering, everAnswered bool
	err, hostName, mapName, game, version        string
	players, bots, maxPlayers, listed            int
}

func shows(v View) shown {
	return shown{answered: v.Answered, secure: v.Secure, notAnswering: v.NotAnswering(), everAnswered: !v.LastAnswer.IsZero(),
		err: v.Err, hostName: v.HostName, mapName: v.Map, game: v.Game, version: v.Version,
		players: v.Players, bots: v.Bots, maxPlayers: v.MaxPlayers, listed: len(v.PlayerList)}
}

// ask queries servers and returns their new views, counting misses on
// from their old ones.
func (s *Sweeper) ask(ctx context.Context, servers []store.Server) map[string]View {
	targets := make([]hostbackend.LiveTarget, len(servers))
	for i, srv := range servers {
		targets[i] = hostbackend.LiveTarget{Name: srv.Name, Port: srv.Port}
	}
	views := make(map[string]View, len(servers))
	if len(targets) == 0 {
		return views
	}
	qctx, cancel := context.WithTimeout(ctx, QueryTimeout)
	answers := s.opts.Host.LiveQuery(qctx, targets)
	cancel()
	now := s.opts.Clock()
	s.mu.RLock()
	defer s.mu.RUnlock()
	for i, srv := range servers {
		old := s.views[srv.Name]
		v := View{At: now, LastAnswer: old.LastAnswer}
		if i < len(answers) {
			v.LiveInfo = answers[i]
		}
		v.Name = srv.Name
		if v.Answered {
			v.LastAnswer = now
		} else {
			v.Misses = old.Misses + 1
		}
		views[srv.Name] = v
	}
	return views
}

// View returns the latest view of the server, if it runs and was asked.
func (s *Sweeper) View(name string) (View, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	v, ok := s.views[name]
	return v, ok
}

// Views returns the latest view of every running server asked, by name.
// The map is the caller's.
func (s *Sweeper) Views() map[string]View {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make(map[string]View, len(s.views))
	for k, v := range s.views {
		out[k] = v
	}
	return out
}
