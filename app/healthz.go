package app

import (
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/jobs"
	"github.com/left4me/left4me/views"
)

// healthReport is the JSON body of GET /healthz (docs/api.md).
type healthReport struct {
	OK bool `json:"ok"`
	// Database is "ok", "unreachable" (it does not answer) or
	// "unwritable" (the latest write of some kind failed).
	Database string `json:"database"`
	// Host is "ok", "unreachable" (the latest request to systemd failed)
	// or "unknown" (nothing has asked yet).
	Host           string     `json:"host"`
	WorkersRunning bool       `json:"workers_running"`
	PollerLastTick *time.Time `json:"poller_last_tick"`
	// HostCheckedAt is when systemd was last asked, by a poller tick or
	// a job's read back.
	HostCheckedAt *time.Time `json:"host_checked_at"`
	// Source is how the panel hears of changes on the host: "systemd
	// signals" or "polling only" (no failure: the poller is the safety
	// net either way), with SourceReason saying why (never an error's
	// text: this answer is public).
	Source       string `json:"source"`
	SourceReason string `json:"source_reason,omitempty"`
	// Reason is the problems' sentences in one string; empty when ok.
	Reason   string          `json:"reason,omitempty"`
	Problems []healthProblem `json:"problems"`
}

// healthProblem is one part that does not work.
type healthProblem struct {
	Part   string `json:"part"`
	Reason string `json:"reason"`
	// Since is when the failures began; LatestAttempt is the latest one.
	Since         *time.Time `json:"since,omitempty"`
	LatestAttempt *time.Time `json:"latest_attempt,omitempty"`
}

// problem is one part of the panel that does not work, as /healthz says
// it to anyone (public: no error text, which may name servers, paths or
// the driver) and as the page frame says it to admins (advice, and the
// latest error).
type problem struct {
	part   string // "host" or "database"
	public string
	advice string
	detail string
	since  time.Time
	latest time.Time
}

// problems lists what the job runner, its poller and the bookkeeping
// writes last found failing: each kind of contact is judged by its own
// latest attempt, so a failure stays reported until that kind of attempt
// works again.
func (h *handlers) problems() []problem {
	var ps []problem
	var hl jobs.Health
	if h.Health != nil {
		hl = h.Health()
	}
	if c := hl.Host; !c.OK() {
		ps = append(ps, problem{part: "host", detail: c.Err, since: c.FailingSince, latest: c.At,
			public: "The panel cannot reach systemd: its latest request for the servers' states failed.",
			advice: "The panel cannot ask systemd about the servers: their states are not refreshed and jobs cannot start or stop them. " +
				"Check that the left4me user may run the helpers through sudo (sudo -l -U left4me lists them, from /etc/sudoers.d/left4me)."})
	}
	if c := hl.Store; !c.OK() {
		ps = append(ps, problem{part: "database", detail: c.Err, since: c.FailingSince, latest: c.At,
			public: "The panel cannot write its database: its latest write of the servers' states or of a job's end failed.",
			advice: "The panel cannot write its database (" + h.DB.Path() + "): the servers' states and the jobs' ends are not recorded. " +
				"Check the free space and the permissions of its file system, and whether another process holds the database."})
	}
	if c := h.svc.bookkeeping.contact(); !c.OK() {
		ps = append(ps, problem{part: "database", detail: c.Err, since: c.FailingSince, latest: c.At,
			public: "The panel cannot write its database: its latest record of an API token's use or of a login failed.",
			advice: "The panel cannot write its database (" + h.DB.Path() + "): reads work, but API tokens' last use is not recorded and logins fail. " +
				"Check the free space and the permissions of its file system, and whether another process holds the database."})
	}
	return ps
}

// stateSource is how the panel hears of changes on the host, and why
// and the error behind it when it is polling only.
func stateSource(hl jobs.Health) (source, reason, detail string) {
	if hl.Source == "" {
		return jobs.SourcePolling, "no state poller runs in this process", ""
	}
	return hl.Source, hl.SourceReason, hl.SourceErr
}

// sourceLine is the page frame's line for admins about stateSource.
func (h *handlers) sourceLine() string {
	var hl jobs.Health
	if h.Health != nil {
		hl = h.Health()
	}
	source, reason, detail := stateSource(hl)
	switch {
	case reason == "":
		return "Server states: from " + source + "."
	case detail != "":
		return "Server states: " + source + " (" + reason + ": " + detail + ")."
	}
	return "Server states: " + source + " (" + reason + ")."
}

// bannerProblems is problems for the page frame.
func (h *handlers) bannerProblems() []views.Problem {
	ps := h.problems()
	if len(ps) == 0 {
		return nil
	}
	out := make([]views.Problem, len(ps))
	for i, p := range ps {
		out[i] = views.Problem{Part: p.part, Summary: p.advice, Since: p.since, Detail: p.detail}
	}
	return out
}

// healthz reports whether the database answers and can be written,
// whether systemd could be reached, whether the workers run, and when
// the poller last ticked. It answers 503 when any part does not work, so
// that a monitor needs no JSON.
func (h *handlers) healthz(c *fiber.Ctx) error {
	ctx, cancel := requestContext(c)
	defer cancel()
	r := healthReport{OK: true, Database: "ok", Host: "unknown", Problems: []healthProblem{}}
	if err := h.DB.Reader().PingContext(ctx); err != nil {
		// The driver's words stay in the log: this answer is public.
		h.Logger.Error("healthz: database unreachable", "err", err)
		r.OK, r.Database = false, "unreachable"
		r.Problems = append(r.Problems, healthProblem{Part: "database", Reason: "The database does not answer."})
	}
	var hl jobs.Health
	if h.Health != nil {
		hl = h.Health()
	}
	if !hl.Host.At.IsZero() {
		r.Host = "ok"
		r.HostCheckedAt = utcPtr(hl.Host.At)
	}
	for _, p := range h.problems() {
		r.OK = false
		switch p.part {
		case "host":
			r.Host = "unreachable"
		case "database":
			if r.Database == "ok" {
				r.Database = "unwritable"
			}
		}
		r.Problems = append(r.Problems, healthProblem{Part: p.part, Reason: p.public,
			Since: utcPtr(p.since), LatestAttempt: utcPtr(p.latest)})
	}
	reasons := make([]string, len(r.Problems))
	for i, p := range r.Problems {
		reasons[i] = p.Reason
	}
	r.Reason = strings.Join(reasons, " ")
	r.Source, r.SourceReason, _ = stateSource(hl)
	r.WorkersRunning = h.WorkersRunning != nil && h.WorkersRunning()
	if h.PollerLastTick != nil {
		r.PollerLastTick = utcPtr(h.PollerLastTick())
	}
	status := fiber.StatusOK
	if !r.OK {
		status = fiber.StatusServiceUnavailable
	}
	return c.Status(status).JSON(r)
}

// utcPtr is t in UTC for JSON, nil for the zero time.
func utcPtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}
