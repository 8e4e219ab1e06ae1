package app

import (
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/addons"
	"github.com/left4me/left4me/console"
	"github.com/left4me/left4me/hostbackend"
	"github.com/left4me/left4me/jobs"
	"github.com/left4me/left4me/live"
	"github.com/left4me/left4me/resources"
	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/views"
)

// Options are what the web app needs. DB is required; every other field
// has a documented default.
type Options struct {
	DB *store.DB
	// Queue receives the jobs the panel asks for (default: a queue on DB
	// with no runner, so jobs stay queued until a runner picks them up).
	Queue *jobs.Queue
	// Backend is read for the unit logs on the server page; nil shows
	// "log unavailable".
	Backend hostbackend.Backend
	// Live is what the games say (map, players), from the live sweep;
	// nil shows nothing of it.
	Live *live.Sweeper
	// Resources is what each server costs, from the state poller's reads
	// (jobs.Poller.Resources); nil shows no figures.
	Resources *resources.Book
	// PortRangeStart and PortRangeEnd bound the ports handed out to new
	// servers (default 27015-27115).
	PortRangeStart, PortRangeEnd int
	// SecureCookies marks cookies Secure (set it behind HTTPS).
	SecureCookies bool
	// ProxyHeader, when set, is the header (e.g. X-Real-IP) that a reverse
	// proxy puts the client's address in. It is believed only from
	// TrustedProxies (default: loopback), and keys the login limit.
	ProxyHeader    string
	TrustedProxies []string
	// SessionTTL is how long a login lasts (default 14 days).
	SessionTTL time.Duration
	// SetupToken, when not empty and no user exists, opens
	// /setup?token=SetupToken to create the first admin. See
	// NewSetupToken.
	SetupToken string
	// LoginLimit is how many failed logins one client address may make per
	// minute, and one user name before it is slowed down to one attempt
	// per minute/LoginLimit (default 10). See loginSubmit.
	LoginLimit int
	// Hashing bounds the password hashes and checks running at once
	// (default NewHashGate(0, 0): one per core, at most 2, and a second's
	// wait for a slot).
	Hashing *HashGate
	// Now is the clock of sessions, the login limit and "2 min ago"
	// (default time.Now).
	Now func() time.Time
	// Simulated marks the fake host backend; every page says so.
	Simulated bool
	// SteamUser is the Steam account that installs the game, for the
	// game page to say so; "" is anonymous, in two passes.
	SteamUser string
	// WorkersRunning reports whether the job workers are running; nil
	// means they are not.
	WorkersRunning func() bool
	// PollerLastTick returns when the state poller last finished a tick;
	// nil or a zero time means never.
	PollerLastTick func() time.Time
	// LookState reads a server's state from the host now and writes it
	// (jobs.Poller.Look): a new server shows its state at once. nil
	// leaves a new server "unknown" until the poller's next tick.
	LookState func(ctx context.Context, serverID int64) error
	// Health returns what the job runner and its poller last learned
	// about reaching systemd and writing the database (jobs.Runner.Health);
	// /healthz and the admins' banner report it. nil means nothing asks
	// systemd (no workers).
	Health func() jobs.Health
	// PollStats returns the state poller's counts for /metrics
	// (jobs.Poller.Stats); nil leaves them out.
	PollStats func() jobs.PollStats
	// Addons keeps the add-on sets (their pages, the API, blueprints'
	// lists); nil answers their pages 503 and leaves blueprints' lists
	// alone.
	Addons *addons.Manager
	Logger *slog.Logger
}

// handlers holds what the handlers share.
type handlers struct {
	Options
	svc        *Service
	limiter    *limiter
	status     *statusCache  // the status table's rows, shared by all requests
	statusHTML *statusRender // the status table rendered, shared by all requests
	sessions   *sessionCache // recent session lookups
	metrics    *panelMetrics // GET /metrics's counters
	setupMu    sync.Mutex    // one first admin, even for two setup submissions at once
	csrfKey    []byte        // signs pre-session CSRF tokens; new at every start
	console    *console.Console
}

// New builds the Fiber app with every route registered.
func New(opts Options) *fiber.App {
	if opts.DB == nil {
		panic("app.New: Options.DB is required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Queue == nil {
		opts.Queue = jobs.NewQueue(jobs.QueueOpts{DB: opts.DB, Clock: opts.Now})
	}
	if opts.PortRangeStart == 0 && opts.PortRangeEnd == 0 {
		d := DefaultConfig()
		opts.PortRangeStart, opts.PortRangeEnd = d.PortRangeStart, d.PortRangeEnd
	}
	if opts.SessionTTL <= 0 {
		opts.SessionTTL = 14 * 24 * time.Hour
	}
	if opts.LoginLimit <= 0 {
		opts.LoginLimit = 10
	}
	if len(opts.TrustedProxies) == 0 {
		opts.TrustedProxies = []string{"127.0.0.1", "::1"}
	}
	f := fiber.New(fiber.Config{
		ProxyHeader:             opts.ProxyHeader,
		EnableTrustedProxyCheck: opts.ProxyHeader != "",
		TrustedProxies:          opts.TrustedProxies,
		EnableIPValidation:      true,
		AppName:                 "left4me",
		DisableStartupMessage:   true,
		// Immutable: strings from the request (params, form values,
		// cookies, headers) are copies, so they may outlive the handler.
		Immutable: true,
		// A connection that sends nothing is closed after 10 s (its first
		// request) or 30 s (between requests; HTMX polls every few
		// seconds), one that reads nothing after 30 s: idle connections
		// hold descriptors (see internal/connlimit).
		ReadTimeout:  10 * time.Second,
		IdleTimeout:  30 * time.Second,
		WriteTimeout: 30 * time.Second,
		ErrorHandler: errorHandler(opts.Logger),
		// Bodies up to BodyLimit are read before the handler runs; a
		// larger one is refused by limitBody before it is read, but an
		// add-on upload's, which its handler streams to disk (body.go).
		// Multipart forms are parsed when read, under the same limit.
		BodyLimit:                    formBodyLimit,
		StreamRequestBody:            true,
		DisablePreParseMultipartForm: true,
	})
	h := &handlers{
		Options: opts,
		console: newConsole(opts),
		svc: NewService(ServiceOptions{
			DB: opts.DB, Queue: opts.Queue, PortRangeStart: opts.PortRangeStart, PortRangeEnd: opts.PortRangeEnd,
			Logger: opts.Logger, Hashing: opts.Hashing, Backend: opts.Backend, LookState: opts.LookState,
			Addons: opts.Addons,
		}),
		limiter: newLimiter(opts.LoginLimit, time.Minute, opts.Now),
		csrfKey: make([]byte, 32),
	}
	if _, err := rand.Read(h.csrfKey); err != nil {
		panic(errNoRandom) // crypto/rand does not fail on Linux
	}
	h.status = &statusCache{load: h.loadStatus, changes: statusChanges(opts.DB, opts.Live), now: opts.Now, maxAge: statusMaxAge}
	h.statusHTML = newStatusRender()
	h.sessions = newSessionCache(opts.DB.Changes, opts.Now)
	h.metrics = newPanelMetrics()
	f.Server().ExpectHandler = h.expectBody
	routes(f, h)
	return f
}

// render writes comp as an HTML response with the given status.
func render(c *fiber.Ctx, status int, comp templ.Component) error {
	c.Status(status).Type("html", "utf-8")
	return comp.Render(c.UserContext(), c.Response().BodyWriter())
}

// page renders content in the page frame.
func page(c *fiber.Ctx, status int, title string, content templ.Component) error {
	return render(c, status, views.Page(title, content))
}

// requestContext bounds the work a request does.
func requestContext(c *fiber.Ctx) (context.Context, context.CancelFunc) {
	return context.WithTimeout(c.UserContext(), 10*time.Second)
}

// errorHandler turns errors into pages: a *fiber.Error or a store.Error
// shows its message with its status; anything else is logged and shows a
// generic sentence.
func errorHandler(log *slog.Logger) fiber.ErrorHandler {
	return func(c *fiber.Ctx, err error) error {
		code := fiber.StatusInternalServerError
		msg := "Something went wrong on the server; the details are in its log."
		var fe *fiber.Error
		var se *store.Error
		switch {
		case errors.As(err, &fe):
			code, msg = fe.Code, fe.Message
		case errors.As(err, &se):
			code, msg = statusOf(err), se.Msg
		case errors.Is(err, ErrBusy):
			code, msg = fiber.StatusServiceUnavailable, sentence(ErrBusy.Error())
			setRetryAfter(c, BusyRetryAfter)
		default:
			log.Error("request failed", "method", c.Method(), "path", c.Path(), "err", err)
		}
		if strings.HasPrefix(c.Path(), "/api/") {
			// Errors Fiber raises before routing (a body over its limit)
			// reach the API as JSON too.
			return c.Status(code).JSON(apiErrorBody{Error: msg})
		}
		return page(c, code, "Error", views.ErrorPage(code, msg))
	}
}

// statusOf maps a store error kind to an HTTP status.
func statusOf(err error) int {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return fiber.StatusNotFound
	case errors.Is(err, store.ErrConflict):
		return fiber.StatusConflict
	case errors.Is(err, store.ErrInvalid):
		return fiber.StatusUnprocessableEntity
	}
	return fiber.StatusInternalServerError
}
