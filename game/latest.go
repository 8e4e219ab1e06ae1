package game

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// ErrBuildUnknown is wrapped by LatestBuild's error when steamcmd printed
// no build id in any try (app_info_print sometimes prints nothing): the
// latest build is unknown.
var ErrBuildUnknown = errors.New("the latest build is unknown")

// LatestBuild asks Steam for the build id of the public branch:
// "+login anonymous +app_info_update 1 +app_info_print 222860 +quit"
// (the Account strategy logs in with its user), read at
// depots → branches → public → buildid. It deletes steamcmd's cached app
// info first, which can be stale. When steamcmd prints no build id it
// tries again, up to Options.Attempts times, then returns an error
// wrapping ErrBuildUnknown. A refused login fails at once with a
// *Failure; ctx ending returns an error wrapping ctx.Err().
func (s *Steam) LatestBuild(ctx context.Context, h Hooks) (string, error) {
	login := "anonymous"
	if s.opts.Strategy == Account {
		login = s.opts.User
	}
	args := []string{"+login", login, "+app_info_update", "1", "+app_info_print", AppID, "+quit"}
	for attempt := 1; ; attempt++ {
		for _, p := range s.opts.AppInfoCaches {
			if err := removeIfThere(p); err != nil {
				step(h, fmt.Sprintf("The cached app info %s could not be deleted (%v); the answer may be stale.", p, err))
			}
		}
		step(h, fmt.Sprintf("Asking Steam for the latest build of app %s (attempt %d of %d).", AppID, attempt, s.opts.Attempts))
		t, lines, err := s.run(ctx, runOpts{args: args, hooks: h, keepLines: true})
		var f *Failure
		switch {
		case err != nil && !errors.As(err, &f):
			return "", err
		case err != nil && !f.retry:
			f.Attempts = attempt
			return "", f
		case err == nil:
			if id := appInfoBuild(lines); id != "" {
				return id, nil
			}
			if f = t.classify(s.opts.Dir, login); f != nil && (f.Reason == ReasonLogin && !f.retry || f.Reason == ReasonRateLimit) {
				return "", f
			}
		}
		if attempt >= s.opts.Attempts {
			return "", fmt.Errorf("%w: steamcmd printed no build id for app %s in %d tries", ErrBuildUnknown, AppID, attempt)
		}
		step(h, fmt.Sprintf("steamcmd printed no build id; trying again in %s.", s.opts.RetryDelay))
		if err := sleep(ctx, s.opts.RetryDelay); err != nil {
			return "", fmt.Errorf("cancelled while waiting to try again: %w", err)
		}
	}
}

// appInfoBuild finds app_info_print's block for the app in lines and
// returns its public branch's build id, or "" when there is none.
func appInfoBuild(lines []string) string {
	for i, l := range lines {
		if strings.TrimSpace(l) != `"`+AppID+`"` {
			continue
		}
		root, err := parseFirstVDF(strings.Join(lines[i:], "\n"))
		if err != nil {
			continue
		}
		app := root.get(AppID)
		if id := app.str("depots", "branches", "public", "buildid"); id != "" {
			return id
		}
		if id := app.str("branches", "public", "buildid"); id != "" {
			return id
		}
	}
	return ""
}
