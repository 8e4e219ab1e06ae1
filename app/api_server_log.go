package app

import (
	"fmt"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
)

// apiMaxLogLines bounds ?lines= of the log endpoint.
const apiMaxLogLines = 1000

// apiLogLine is one line of a unit's log: its text and when the journal
// recorded it (null when unknown).
type apiLogLine struct {
	Text string     `json:"text"`
	Time *time.Time `json:"time"`
}

// apiServerLog answers the last lines of the server's unit log
// (?lines=N, 1 to apiMaxLogLines, default logLines), each with its time.
// When the log cannot be read at all the answer is 502 with the reason.
func (a *apiHandlers) apiServerLog(c *fiber.Ctx) error {
	n := logLines
	if v := c.Query("lines"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 || n > apiMaxLogLines {
			return apiErr(fiber.StatusBadRequest, fmt.Sprintf("lines must be a whole number from 1 to %d.", apiMaxLogLines))
		}
	}
	ctx, cancel := requestContext(c)
	defer cancel()
	s, err := a.DB.GetServerByName(ctx, c.Params("name"))
	if err != nil {
		return err
	}
	v := a.journal(ctx, s.Name, n)
	if v.Error != "" && len(v.Lines) == 0 {
		return apiErr(fiber.StatusBadGateway, v.Error)
	}
	lines := make([]apiLogLine, len(v.Lines))
	for i, l := range v.Lines {
		lines[i] = apiLogLine{Text: l.Text}
		if !l.Time.IsZero() {
			t := l.Time.UTC()
			lines[i].Time = &t
		}
	}
	body := fiber.Map{"server": s.Name, "lines": lines}
	if v.Error != "" {
		body["warning"] = v.Error
	}
	return c.JSON(body)
}
