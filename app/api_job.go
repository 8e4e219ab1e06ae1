package app

import (
	"strconv"

	"github.com/gofiber/fiber/v2"
)

// apiJobDetail is a job with its output lines after ?after=.
type apiJobDetail struct {
	apiJob
	Lines []apiJobLine `json:"lines"`
	// After is the seq to pass as ?after= to get only newer lines.
	After int64 `json:"after"`
	// More says more lines are ready now than one answer carries.
	More bool `json:"more"`
}

// apiJob answers a job and its output lines with seq > ?after= (at most
// 1000 at a time). The job is read before its lines, so a finished job's
// answer has all of them.
func (a *apiHandlers) apiJob(c *fiber.Ctx) error {
	id, err := c.ParamsInt("id")
	if err != nil || id <= 0 {
		return apiErr(fiber.StatusNotFound, "There is no such job.")
	}
	after := int64(0)
	if s := c.Query("after"); s != "" {
		n, err := parseSeq(s)
		if err != nil {
			return apiErr(fiber.StatusBadRequest, "after must be a line number (a whole number, 0 or more).")
		}
		after = n
	}
	ctx, cancel := requestContext(c)
	defer cancel()
	j, err := a.DB.GetJob(ctx, int64(id))
	if err != nil {
		return err
	}
	lines, err := a.DB.JobLines(ctx, j.ID, after, jobLinesPerPoll)
	if err != nil {
		return err
	}
	out := apiJobDetail{apiJob: toAPIJob(j), Lines: make([]apiJobLine, len(lines)), After: after, More: len(lines) == jobLinesPerPoll}
	for i, l := range lines {
		out.Lines[i] = apiJobLine{Seq: l.Seq, Stream: l.Stream, Text: l.Text, At: apiTime(l.CreatedAt)}
		out.After = l.Seq
	}
	return c.JSON(out)
}

// parseSeq parses a line number: a whole number, 0 or more.
func parseSeq(s string) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err == nil && n < 0 {
		err = strconv.ErrRange
	}
	return n, err
}
