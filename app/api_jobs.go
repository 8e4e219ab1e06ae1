package app

import (
	"github.com/gofiber/fiber/v2"
)

// apiJobListed is a job of the listing: the job object and who asked for
// it, as the job page names them ("the panel" for the panel's own jobs).
type apiJobListed struct {
	apiJob
	RequestedBy string `json:"requested_by"`
}

// apiJobsPage is one page of the jobs listing, newest first, and the
// addresses of the pages around it (nil for none).
type apiJobsPage struct {
	Jobs  []apiJobListed `json:"jobs"`
	Older *string        `json:"older"`
	Newer *string        `json:"newer"`
}

// apiJobs lists every job, newest first, 50 at a time, with the jobs
// page's filters: ?server= (a name, or _game for the game's jobs),
// ?operation=, ?state=, ?user= (a user id or name), and ?before= or ?after= (a
// job id) for the next pages. A filter that cannot be used is 400.
func (a *apiHandlers) apiJobs(c *fiber.Ctx) error {
	ctx, cancel := requestContext(c)
	defer cancel()
	f, q, msg, err := a.jobsFilter(ctx, readJobsQuery(c))
	if err != nil {
		return err
	}
	if msg != "" {
		return apiErr(fiber.StatusBadRequest, msg)
	}
	p, err := a.listJobsPage(ctx, f)
	if err != nil {
		return err
	}
	rows, err := a.jobRows(ctx, p.Jobs)
	if err != nil {
		return err
	}
	out := apiJobsPage{Jobs: make([]apiJobListed, len(rows))}
	for i, r := range rows {
		out.Jobs[i] = apiJobListed{apiJob: toAPIJob(&r.Job), RequestedBy: r.By}
	}
	link := func(cursor string, id int64) *string {
		if s := jobsURL("/api/v1/jobs", q.JobsFilter, cursor, id); s != "" {
			return &s
		}
		return nil
	}
	out.Older, out.Newer = link("before", p.Older), link("after", p.Newer)
	return c.JSON(out)
}
