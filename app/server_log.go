package app

import (
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/hostbackend"
	"github.com/left4me/left4me/views"
)

// logFilterLines is how many lines a filtered log view searches; it shows
// the last logLines of them that match.
const logFilterLines = 1000

// serverLog renders the last lines of the unit's log, the fragment the
// server page polls; with ?q= only the lines that contain it (ignoring
// case).
func (h *handlers) serverLog(c *fiber.Ctx) error {
	ctx, cancel := requestContext(c)
	defer cancel()
	s, err := h.DB.GetServerByName(ctx, c.Params("name"))
	if err != nil {
		return err
	}
	q := strings.TrimSpace(c.Query("q"))
	if q == "" {
		return render(c, fiber.StatusOK, views.ServerLog(h.journal(ctx, s.Name, logLines)))
	}
	v := h.journal(ctx, s.Name, logFilterLines)
	v.Filter = q
	v.Lines = matching(v.Lines, q)
	if len(v.Lines) > logLines {
		v.Lines = v.Lines[len(v.Lines)-logLines:]
	}
	return render(c, fiber.StatusOK, views.ServerLog(v))
}

// matching returns the lines whose text contains q, ignoring case.
func matching(lines []views.LogLine, q string) []views.LogLine {
	q = strings.ToLower(q)
	var out []views.LogLine
	for _, l := range lines {
		if strings.Contains(strings.ToLower(l.Text), q) {
			out = append(out, l)
		}
	}
	return out
}

// serverLogText answers the last lines of the unit's log as a plain-text
// download (?lines=N, 1 to hostbackend.MaxJournalLines, default
// views.LogDownloadLines), each line after its time in RFC 3339, UTC
// ("2026-11-30T09:21:08Z text"; a line without one has none). A log that
// cannot be read is 502 with the reason.
func (h *handlers) serverLogText(c *fiber.Ctx) error {
	n := views.LogDownloadLines
	if v := c.Query("lines"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 || n > hostbackend.MaxJournalLines {
			return c.Status(fiber.StatusBadRequest).SendString("lines must be a whole number from 1 to " + strconv.Itoa(hostbackend.MaxJournalLines) + ".\n")
		}
	}
	ctx, cancel := requestContext(c)
	defer cancel()
	s, err := h.DB.GetServerByName(ctx, c.Params("name"))
	if err != nil {
		return err
	}
	v := h.journal(ctx, s.Name, n)
	if v.Error != "" && len(v.Lines) == 0 {
		return c.Status(fiber.StatusBadGateway).SendString(v.Error + "\n")
	}
	var b strings.Builder
	for _, l := range v.Lines {
		if !l.Time.IsZero() {
			b.WriteString(l.Time.UTC().Format(time.RFC3339))
			b.WriteByte(' ')
		}
		b.WriteString(l.Text)
		b.WriteByte('\n')
	}
	c.Set(fiber.HeaderContentType, "text/plain; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+s.Name+`.log"`)
	return c.SendString(b.String())
}
