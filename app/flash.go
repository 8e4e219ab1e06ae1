package app

import (
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/hostbackend"
	"github.com/left4me/left4me/store"
)

// flashCookie carries the confirmation of a server action to the next
// page: "OPERATION.NAME.JOB" (all three checked again when read, so the
// sentence is built from nothing a browser wrote).
const flashCookie = "left4me_flash"

// setActionFlash has the next page confirm that job asks op on name.
func (h *handlers) setActionFlash(c *fiber.Ctx, op store.Operation, name string, job int64) {
	h.setCookie(c, flashCookie, string(op)+"."+name+"."+strconv.FormatInt(job, 10), h.Now().Add(time.Minute))
}

// restartsFlash is the flash cookie's operation for restarts of several
// servers at once (a blueprint's): "restarts.JOB-JOB-JOB".
const restartsFlash = "restarts"

// setRestartsFlash has the next page confirm the restart jobs.
func (h *handlers) setRestartsFlash(c *fiber.Ctx, jobs []store.Job) {
	ids := make([]string, len(jobs))
	for i, j := range jobs {
		ids[i] = strconv.FormatInt(j.ID, 10)
	}
	h.setCookie(c, flashCookie, restartsFlash+"."+strings.Join(ids, "-"), h.Now().Add(time.Minute))
}

// savedFlash is the flash cookie's operation for a saved server edit:
// "saved.NAME", or "saved-restart.NAME" when the server runs and needs a
// restart to apply the change.
const savedFlash = "saved"

// setSavedFlash has the next page confirm that the edit of name was saved.
func (h *handlers) setSavedFlash(c *fiber.Ctx, name string, restart bool) {
	op := savedFlash
	if restart {
		op += "-restart"
	}
	h.setCookie(c, flashCookie, op+"."+name, h.Now().Add(time.Minute))
}

// takeFlash returns the confirmation the previous request left and
// clears it, or "". Polls (htmx requests that are not a boosted
// navigation) leave it for the page.
func (h *handlers) takeFlash(c *fiber.Ctx) string {
	v := c.Cookies(flashCookie)
	if v == "" || (c.Get("HX-Request") != "" && c.Get("HX-Boosted") == "") {
		return ""
	}
	h.clearCookie(c, flashCookie)
	if rest, ok := strings.CutPrefix(v, userFlash+"."); ok {
		return userSentence(rest)
	}
	if rest, ok := strings.CutPrefix(v, consoleFlash+"."); ok {
		return consoleSentence(rest)
	}
	if rest, ok := strings.CutPrefix(v, addonFlash+"."); ok {
		return addonSentence(rest)
	}
	return actionFlash(v)
}

// actionFlash is the sentence of a flash cookie's value ("Starting coop-1
// — job 42"), or "" for one this panel did not write.
func actionFlash(v string) string {
	if ids, ok := strings.CutPrefix(v, restartsFlash+"."); ok {
		return restartsSentence(ids)
	}
	if name, ok := strings.CutPrefix(v, layerResetFlash+"."); ok && hostbackend.ValidateName(name) == nil {
		return "The writable layer of " + name + " is empty: its next start begins afresh."
	}
	if name, ok := strings.CutPrefix(v, savedFlash+"."); ok && hostbackend.ValidateName(name) == nil {
		return "Saved " + name + "."
	}
	if name, ok := strings.CutPrefix(v, savedFlash+"-restart."); ok && hostbackend.ValidateName(name) == nil {
		return "Saved " + name + ": it runs with what it started with; restart it to apply the change."
	}
	parts := strings.Split(v, ".")
	if len(parts) != 3 || hostbackend.ValidateName(parts[1]) != nil {
		return ""
	}
	id, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil || id <= 0 {
		return ""
	}
	verb := map[store.Operation]string{store.OpStart: "Starting", store.OpStop: "Stopping", store.OpRestart: "Restarting", store.OpDelete: "Deleting"}[store.Operation(parts[0])]
	if verb == "" {
		return ""
	}
	return verb + " " + parts[1] + " — job " + strconv.FormatInt(id, 10)
}

// restartsSentence is "Restarting 3 servers — jobs 41–43" for the job ids
// "41-42-43" ("jobs 41, 44 and 45" when they are not consecutive), or ""
// for anything else.
func restartsSentence(v string) string {
	parts := strings.Split(v, "-")
	if len(parts) > 1000 {
		return ""
	}
	ids := make([]int64, len(parts))
	consecutive := true
	for i, p := range parts {
		id, err := strconv.ParseInt(p, 10, 64)
		if err != nil || id <= 0 {
			return ""
		}
		ids[i], parts[i] = id, strconv.FormatInt(id, 10)
		consecutive = consecutive && (i == 0 || id == ids[i-1]+1)
	}
	n := strconv.Itoa(len(ids))
	switch {
	case len(ids) == 1:
		return "Restarting 1 server — job " + parts[0]
	case consecutive:
		return "Restarting " + n + " servers — jobs " + parts[0] + "–" + parts[len(parts)-1]
	}
	return "Restarting " + n + " servers — jobs " + strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}
