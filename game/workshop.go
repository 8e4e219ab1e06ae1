package game

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// WorkshopApp is the Steam app whose Workshop items a Left 4 Dead 2
// server loads: the game (550), not the dedicated server (222860).
const WorkshopApp = "550"

// MaxWorkshopIDLen is the longest Workshop item id accepted (Steam's
// published file ids have about 10 digits).
const MaxWorkshopIDLen = 20

// ValidWorkshopID reports whether id can be a Workshop item id: 1 to
// MaxWorkshopIDLen digits.
func ValidWorkshopID(id string) bool {
	if id == "" || len(id) > MaxWorkshopIDLen || id[0] == '0' {
		return false
	}
	return strings.Trim(id, "0123456789") == ""
}

var (
	workshopOK   = regexp.MustCompile(`^Success\. Downloaded item ([0-9]+) to "([^"]*)"`)
	workshopFail = regexp.MustCompile(`^ERROR! Download item ([0-9]+) failed \(([^)]*)\)`)
)

// WorkshopDir is where steamcmd puts item id: Dir's
// steamapps/workshop/content/550/ID.
func (s *Steam) WorkshopDir(id string) string {
	return filepath.Join(s.opts.Dir, "steamapps", "workshop", "content", WorkshopApp, id)
}

// WorkshopDownload downloads Workshop item id of Left 4 Dead 2 with
// steamcmd ("+force_install_dir Dir +login L +workshop_download_item 550
// ID +quit", L the Account strategy's user, else anonymous) and returns
// the path of its file: the one .vpk in WorkshopDir(id) (an old item's
// ID_legacy.bin is a .vpk too). steamcmd prints no progress for an item.
// It fails with a *Failure whose Error says what to do (an id Steam does
// not give, a login that may not download it), or wraps ctx.Err().
func (s *Steam) WorkshopDownload(ctx context.Context, h Hooks, id string) (string, error) {
	if !ValidWorkshopID(id) {
		return "", &Failure{Reason: ReasonExit, Exit: -1, sentence: fmt.Sprintf("%q is not a Workshop item id (the digits after ?id= in the item's address).", id)}
	}
	if err := os.MkdirAll(s.opts.Dir, 0o755); err != nil {
		return "", fmt.Errorf("make the Workshop download directory: %w", err)
	}
	login := "anonymous"
	if s.opts.Strategy == Account {
		login = s.opts.User
	}
	// A download left by an earlier run must not pass for this one.
	if err := os.RemoveAll(s.WorkshopDir(id)); err != nil {
		return "", fmt.Errorf("clear the old download of item %s: %w", id, err)
	}
	args := []string{"+force_install_dir", s.opts.Dir, "+login", login, "+workshop_download_item", WorkshopApp, id, "+quit"}
	step(h, fmt.Sprintf("Downloading Workshop item %s as %s.", id, login))
	t, lines, err := s.run(ctx, runOpts{args: args, hooks: h, keepLines: true})
	if err != nil {
		return "", err
	}
	ok, reason := false, ""
	for _, l := range lines {
		l = strings.TrimSpace(l)
		if m := workshopOK.FindStringSubmatch(l); m != nil && m[1] == id {
			ok = true
		}
		if m := workshopFail.FindStringSubmatch(l); m != nil && m[1] == id {
			reason = m[2]
		}
	}
	if !ok {
		if f := t.classify(s.opts.Dir, login); f != nil && (f.Reason == ReasonLogin || f.Reason == ReasonRateLimit) {
			return "", f
		}
		if reason == "" {
			reason = fmt.Sprintf("steamcmd exited %d without saying it downloaded it", t.exit)
		}
		hint := "Check the id."
		if login == "anonymous" {
			hint = "Check the id; Steam may give Left 4 Dead 2's Workshop items only to an account that owns the game (LEFT4ME_STEAM_USER)."
		}
		return "", &Failure{Reason: ReasonExit, Exit: t.exit, sentence: fmt.Sprintf("Steam did not give Workshop item %s (%s). %s", id, reason, hint)}
	}
	return itemFile(s.WorkshopDir(id), id)
}

// itemFile finds the item's .vpk in dir: the one .vpk, else the one
// .bin (an old item's ID_legacy.bin).
func itemFile(dir, id string) (string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", fmt.Errorf("steamcmd said it downloaded item %s, but: %w", id, err)
	}
	var vpk, bin, all []string
	for _, e := range entries {
		all = append(all, e.Name())
		if !e.Type().IsRegular() {
			continue
		}
		switch strings.ToLower(filepath.Ext(e.Name())) {
		case ".vpk":
			vpk = append(vpk, e.Name())
		case ".bin":
			bin = append(bin, e.Name())
		}
	}
	sort.Strings(all)
	for _, c := range [][]string{vpk, bin} {
		if len(c) == 1 {
			return filepath.Join(dir, c[0]), nil
		}
		if len(c) > 1 {
			return "", &Failure{Reason: ReasonExit, Exit: -1, sentence: fmt.Sprintf("Workshop item %s holds %d files of one kind (%s): "+
				"it is not a single add-on the panel can put in a set.", id, len(c), strings.Join(c, ", "))}
		}
	}
	return "", &Failure{Reason: ReasonExit, Exit: -1, sentence: fmt.Sprintf("Workshop item %s has no .vpk (it holds %s): "+
		"it is not an add-on a server loads.", id, orNothing(all))}
}

func orNothing(names []string) string {
	if len(names) == 0 {
		return "nothing"
	}
	return strings.Join(names, ", ")
}
