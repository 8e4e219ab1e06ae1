package app

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/hostbackend"
	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/views"
)

// jobsPerPage is how many jobs one page of the jobs listing holds, on the
// page and in the API.
const jobsPerPage = 50

// jobsQuery is the jobs listing's query string: the filters and a cursor
// (before: older than that job; after: newer than it).
type jobsQuery struct {
	views.JobsFilter
	Before, After string
}

func readJobsQuery(c *fiber.Ctx) jobsQuery {
	return jobsQuery{
		JobsFilter: views.JobsFilter{Server: c.Query("server"), Operation: c.Query("operation"), State: c.Query("state"), User: c.Query("user")},
		Before:     c.Query("before"), After: c.Query("after"),
	}
}

// filter checks q and returns the store's filter for it, or a sentence
// saying what is wrong (and q with only the filters that are right).
func (h *handlers) jobsFilter(ctx context.Context, q jobsQuery) (store.JobFilter, jobsQuery, string, error) {
	var f store.JobFilter
	good := q
	switch {
	case q.Server == views.GameJobs:
		f.Game = true
	case q.Server != "" && hostbackend.ValidateName(q.Server) != nil:
		good.Server = ""
		return f, good, "The server filter must be a server's name (lowercase letters, digits, - and _) or the game.", nil
	default:
		f.ServerName = q.Server
	}
	if q.Operation != "" {
		if !slices.Contains(store.Operations, store.Operation(q.Operation)) {
			good.Operation = ""
			return f, good, "The operation filter must be one of start, stop, restart, delete, game-install, game-update, game-validate, game-check.", nil
		}
		f.Operation = store.Operation(q.Operation)
	}
	if q.State != "" {
		if !slices.Contains(store.JobStates, store.JobState(q.State)) {
			good.State = ""
			return f, good, "The state filter must be one of queued, running, succeeded, failed, cancelled.", nil
		}
		f.State = store.JobState(q.State)
	}
	if q.User != "" {
		// a user's id (the page's select), or a name (scripts)
		var u *store.User
		var err error
		if id, perr := strconv.ParseInt(q.User, 10, 64); perr == nil && id > 0 {
			u, err = h.DB.GetUser(ctx, id)
		} else {
			u, err = h.DB.GetUserByName(ctx, q.User)
		}
		if errors.Is(err, store.ErrNotFound) {
			good.User = ""
			return f, good, "The user filter names nobody: pick a user from the list (a deleted user's jobs are under anyone).", nil
		}
		if err != nil {
			return f, good, "", err
		}
		f.RequestedBy = u.ID
	}
	var err error
	if f.Before, err = jobCursor(q.Before); err != nil {
		return f, good, "before must be a job number (a whole number, 1 or more).", nil
	}
	if f.After, err = jobCursor(q.After); err != nil {
		return f, good, "after must be a job number (a whole number, 1 or more).", nil
	}
	if f.Before != 0 && f.After != 0 {
		return f, good, "Ask for jobs before one job or after one, not both.", nil
	}
	return f, good, "", nil
}

// jobCursor parses a page cursor: "" is none, else a job id.
func jobCursor(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err == nil && n <= 0 {
		err = strconv.ErrRange
	}
	return n, err
}

// jobsPage is one page of the listing and the cursors of the pages around
// it: Older is the before= of the next older page, Newer the after= of the
// next newer one, 0 where there is none.
type jobsPage struct {
	Jobs         []store.Job
	Older, Newer int64
}

// listJobsPage reads the page f's cursor names, jobsPerPage jobs newest
// first, and whether there are jobs on either side of it. A page of newer
// jobs that reaches the newest is the first page (full, without a cursor):
// new jobs may have come since the cursor was made.
func (h *handlers) listJobsPage(ctx context.Context, f store.JobFilter) (jobsPage, error) {
	f.Limit = jobsPerPage + 1
	js, err := h.DB.ListJobs(ctx, f)
	if err != nil {
		return jobsPage{}, err
	}
	var p jobsPage
	more := len(js) > jobsPerPage
	if f.After != 0 {
		if !more {
			f.After = 0
			return h.listJobsPage(ctx, f)
		}
		js = js[1:] // the one newer still than the page
	} else if more {
		js = js[:jobsPerPage]
	}
	p.Jobs = js
	if f.After != 0 {
		p.Newer = js[0].ID
		p.Older = js[len(js)-1].ID
		if ok, err := h.anyJob(ctx, f, store.JobFilter{Before: p.Older}); !ok {
			p.Older = 0
			return p, err
		}
		return p, nil
	}
	if more {
		p.Older = js[len(js)-1].ID
	}
	if f.Before != 0 {
		// newer than the page's newest job, or than the cursor for an
		// empty page
		p.Newer = f.Before - 1
		if len(js) > 0 {
			p.Newer = js[0].ID
		}
		if ok, err := h.anyJob(ctx, f, store.JobFilter{After: p.Newer}); !ok {
			p.Newer = 0
			return p, err
		}
	}
	return p, nil
}

// anyJob reports whether f selects any job on the side of a job that
// cursor's Before or After names.
func (h *handlers) anyJob(ctx context.Context, f, cursor store.JobFilter) (bool, error) {
	f.Before, f.After, f.Limit = cursor.Before, cursor.After, 1
	js, err := h.DB.ListJobs(ctx, f)
	return len(js) > 0, err
}

// jobsURL is the address of a page of the listing under path: the filters
// of q and one cursor.
func jobsURL(path string, q views.JobsFilter, cursor string, id int64) string {
	if id == 0 {
		return ""
	}
	v := url.Values{}
	for k, s := range map[string]string{"server": q.Server, "operation": q.Operation, "state": q.State, "user": q.User} {
		if s != "" {
			v.Set(k, s)
		}
	}
	v.Set(cursor, strconv.FormatInt(id, 10))
	return path + "?" + v.Encode()
}

// jobs lists every job, newest first, a page at a time, filtered by the
// query string's server, operation, state and user. Filters that cannot
// be used are 422 with a sentence, the form still there to fix them.
func (h *handlers) jobs(c *fiber.Ctx) error {
	if tidy, ok := withoutEmptyQuery(c); !ok {
		return c.Redirect(tidy, fiber.StatusSeeOther)
	}
	ctx, cancel := requestContext(c)
	defer cancel()
	f, q, msg, err := h.jobsFilter(ctx, readJobsQuery(c))
	if err != nil {
		return err
	}
	v := views.JobsView{Filter: q.JobsFilter, Error: msg}
	servers, err := h.DB.ListServers(ctx)
	if err != nil {
		return err
	}
	for _, s := range servers {
		v.Servers = append(v.Servers, s.Name)
	}
	if v.Users, err = h.DB.ListUsers(ctx); err != nil {
		return err
	}
	if msg != "" {
		return page(c, fiber.StatusUnprocessableEntity, "Jobs", views.JobsPage(v))
	}
	p, err := h.listJobsPage(ctx, f)
	if err != nil {
		return err
	}
	if v.Jobs, err = h.jobRows(ctx, p.Jobs); err != nil {
		return err
	}
	v.Older = jobsURL("/jobs", q.JobsFilter, "before", p.Older)
	v.Newer = jobsURL("/jobs", q.JobsFilter, "after", p.Newer)
	return page(c, fiber.StatusOK, "Jobs", views.JobsPage(v))
}

// withoutEmptyQuery is the request's path and query without the empty
// values a GET form sends for its selects left at "any"
// ("?server=&state=failed" is "?state=failed"), and whether the query had
// none: the address then reads as what the page shows. htmx pushes the
// address a redirect led to, as a browser does.
func withoutEmptyQuery(c *fiber.Ctx) (string, bool) {
	v, tidy := url.Values{}, true
	c.Context().QueryArgs().VisitAll(func(k, val []byte) {
		if len(val) == 0 {
			tidy = false
			return
		}
		v.Add(string(k), string(val))
	})
	if tidy {
		return "", true
	}
	if len(v) == 0 {
		return c.Path(), false
	}
	return c.Path() + "?" + v.Encode(), false
}
