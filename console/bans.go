package console

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"strings"
	"time"

	"github.com/left4me/left4me/store"
)

// steamID is the two forms a Source server takes in banid and removeid:
// STEAM_X:Y:Z (X the universe 0-5, Y 0 or 1) and [U:1:N].
var steamID = regexp.MustCompile(`^(STEAM_[0-5]:[01]:[0-9]{1,10}|\[U:1:[0-9]{1,10}\])$`)

// CheckSteamID returns an error matching ErrInvalid, with a sentence,
// unless id is a Steam ID in the STEAM_X:Y:Z or [U:1:N] form.
func CheckSteamID(id string) error {
	if !steamID.MatchString(id) {
		shown := id
		if len(shown) > 40 || strings.ContainsFunc(shown, func(r rune) bool { return r < ' ' || r == 0x7f }) {
			shown = "this"
		} else {
			shown = "“" + shown + "”"
		}
		return refuse(ErrInvalid, "%s is not a Steam ID: write it as STEAM_1:0:12345 or [U:1:24690], as status shows it.", shown)
	}
	return nil
}

// NewBan is what Ban needs.
type NewBan struct {
	SteamID    string
	PlayerName string // as the game showed it, may be ""
	Reason     string
	// Expires is when the ban ends; zero for never.
	Expires time.Time
}

// Applied says how a ban or an unban reached the game.
type Applied int

const (
	// AppliedNow: the running server took it.
	AppliedNow Applied = iota
	// AppliedAtStart: the server does not run; its next start applies it.
	AppliedAtStart
	// AppliedFailed: the running server did not take it (the recorded
	// command says why); its next start applies it.
	AppliedFailed
)

// Sentence says what became of a ban (or, with ban false, an unban) of
// steamID.
func (a Applied) Sentence(steamID string, ban bool) string {
	switch {
	case ban && a == AppliedNow:
		return steamID + " is banned and was kicked if playing."
	case ban && a == AppliedAtStart:
		return steamID + " is banned; the server is not running, so the ban applies when it starts."
	case ban:
		return steamID + " is banned from the server's next start on; the running server did not take the ban now (the console's recent commands say why)."
	case a == AppliedFailed:
		return steamID + " is no longer banned from the server's next start on; the running server did not take the unban now (the console's recent commands say why)."
	}
	return steamID + " is no longer banned."
}

// Ban adds a ban of nb.SteamID on srv for who and, when srv runs, applies
// it at once (banid … kick, recorded as who's command). The ban is kept
// even when the live part fails: it applies at the next start through
// server.cfg. Errors match ErrInvalid, store.ErrInvalid or
// store.ErrConflict; nothing is changed then.
func (c *Console) Ban(ctx context.Context, srv *store.Server, who Actor, nb NewBan) (*store.Ban, Applied, error) {
	nb.SteamID = strings.TrimSpace(nb.SteamID)
	if err := CheckSteamID(nb.SteamID); err != nil {
		return nil, 0, err
	}
	b := &store.Ban{ServerID: srv.ID, SteamID: nb.SteamID, PlayerName: nb.PlayerName, Reason: nb.Reason,
		CreatedBy: who.Name, ExpiresAt: store.NewTime(nb.Expires)}
	if err := c.opts.DB.AddBan(ctx, b); err != nil {
		return nil, 0, err
	}
	if !Running(srv) || c.opts.Host == nil {
		return b, AppliedAtStart, nil
	}
	if _, err := c.Run(ctx, srv, who, fmt.Sprintf("banid %d %s kick", banMinutes(*b, c.opts.DB.Now()), b.SteamID)); err != nil {
		return b, AppliedFailed, nil
	}
	return b, AppliedNow, nil
}

// Unban lifts srv's ban of steamID for who: removeid on the running
// server (recorded), and the ban's row goes. It returns an error matching
// store.ErrNotFound when there is no such ban.
func (c *Console) Unban(ctx context.Context, srv *store.Server, who Actor, steamID string) (Applied, error) {
	if err := c.opts.DB.DeleteBan(ctx, srv.ID, steamID); err != nil {
		return 0, err
	}
	if !Running(srv) || c.opts.Host == nil {
		return AppliedAtStart, nil
	}
	if _, err := c.Run(ctx, srv, who, "removeid "+steamID); err != nil {
		return AppliedFailed, nil
	}
	return AppliedNow, nil
}

// banMinutes is the length srcds's banid takes for b from now: 0 for ever,
// otherwise the minutes left, rounded up.
func banMinutes(b store.Ban, now time.Time) int {
	if b.ExpiresAt.IsZero() {
		return 0
	}
	return max(1, int(math.Ceil(b.ExpiresAt.Sub(now).Minutes())))
}

// Failure limits written with the password: after MinFailures wrong
// passwords within MinFailureTime seconds, or MaxFailures in all, srcds
// bans the address for BanPenalty minutes.
const (
	rconMaxFailures    = 5
	rconMinFailures    = 5
	rconMinFailureTime = 30
	rconBanPenalty     = 30
)

// Block is the text the start job appends to the blueprint's server.cfg:
// the RCON password, srcds's failure limits and one banid per ban that
// holds at now. It comes last, so that no line of the blueprint overrides
// it.
func Block(password string, bans []store.Ban, now time.Time) string {
	var b strings.Builder
	b.WriteString("\n// Written by left4me at every start, after the blueprint's text.\n")
	fmt.Fprintf(&b, "rcon_password \"%s\"\n", password)
	fmt.Fprintf(&b, "sv_rcon_maxfailures %d\n", rconMaxFailures)
	fmt.Fprintf(&b, "sv_rcon_minfailures %d\n", rconMinFailures)
	fmt.Fprintf(&b, "sv_rcon_minfailuretime %d\n", rconMinFailureTime)
	fmt.Fprintf(&b, "sv_rcon_banpenalty %d\n", rconBanPenalty)
	for _, ban := range bans {
		if !ban.Active(now) || CheckSteamID(ban.SteamID) != nil {
			continue
		}
		fmt.Fprintf(&b, "banid %d %s\n", banMinutes(ban, now), ban.SteamID)
	}
	return b.String()
}

// ServerConfig returns the server.cfg a start of srv writes: the
// blueprint's text cfg, then Block with srv's password and its bans.
func ServerConfig(ctx context.Context, db *store.DB, srv *store.Server, cfg string) (string, error) {
	bans, err := db.ListBans(ctx, srv.ID)
	if err != nil {
		return "", err
	}
	if srv.RCONPassword == "" {
		return "", fmt.Errorf("server %s has no RCON password", srv.Name)
	}
	if cfg != "" && !strings.HasSuffix(cfg, "\n") {
		cfg += "\n"
	}
	return cfg + Block(srv.RCONPassword, bans, db.Now()), nil
}
