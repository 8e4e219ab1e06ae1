package app

import (
	"errors"
	"net/url"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/console"
	"github.com/left4me/left4me/store"
)

// apiRCONBody is the body of POST /api/v1/servers/:name/rcon.
type apiRCONBody struct {
	Command string `json:"command"`
}

// apiAnswer is the game's answer to an RCON command.
type apiAnswer struct {
	Answer string `json:"answer"`
}

// apiPlayers is the game's status: its map and players.
type apiPlayers struct {
	Server     string      `json:"server"`
	HostName   string      `json:"host_name"`
	Map        string      `json:"map"`
	Humans     int         `json:"humans"`
	Bots       int         `json:"bots"`
	MaxPlayers int         `json:"max_players"`
	Players    []apiPlayer `json:"players"`
}

// apiPlayer is one player as status shows them. Address is for admins
// only: left out for operators.
type apiPlayer struct {
	UserID           int    `json:"user_id"`
	Name             string `json:"name"`
	SteamID          string `json:"steam_id"`
	ConnectedSeconds int64  `json:"connected_seconds"`
	Ping             int    `json:"ping"`
	Loss             int    `json:"loss"`
	State            string `json:"state"`
	Bot              bool   `json:"bot"`
	Address          string `json:"address,omitempty"`
}

// apiBan is one of the panel's bans of a server.
type apiBan struct {
	SteamID   string     `json:"steam_id"`
	Name      string     `json:"name"`
	Reason    string     `json:"reason"`
	By        string     `json:"by"`
	CreatedAt *time.Time `json:"created_at"`
	// ExpiresAt is when the ban ends, null for never.
	ExpiresAt *time.Time `json:"expires_at"`
}

// apiBanBody is the body of POST /api/v1/servers/:name/bans.
type apiBanBody struct {
	SteamID   string     `json:"steam_id"`
	Name      string     `json:"name"`
	Reason    string     `json:"reason"`
	ExpiresAt *time.Time `json:"expires_at"`
}

// apiApplied is how a ban or an unban reached the game, and a sentence.
type apiApplied struct {
	Applied string `json:"applied"` // "now", "at-start" or "failed"
	Note    string `json:"note"`
}

func toAPIBan(b store.Ban) apiBan {
	return apiBan{SteamID: b.SteamID, Name: b.PlayerName, Reason: b.Reason, By: b.CreatedBy,
		CreatedAt: apiTime(b.CreatedAt), ExpiresAt: apiTime(b.ExpiresAt)}
}

func toAPIApplied(a console.Applied, steamID string, ban bool) apiApplied {
	word := map[console.Applied]string{console.AppliedNow: "now", console.AppliedAtStart: "at-start", console.AppliedFailed: "failed"}[a]
	return apiApplied{Applied: word, Note: a.Sentence(steamID, ban)}
}

// apiConsoleErr is a console error as the API answers it: 422 for what
// cannot be sent, 409 when the server does not run, 502 when the game
// failed; the store's errors keep their status.
func apiConsoleErr(err error) error {
	var se *store.Error
	if errors.As(err, &se) {
		return err
	}
	return apiErr(consoleStatus(err), sentence(err.Error()))
}

// apiServerRCON runs one console command on the server's game (recorded
// with the token's user) and answers what the game said.
func (a *apiHandlers) apiServerRCON(c *fiber.Ctx) error {
	var body apiRCONBody
	if err := decodeBody(c, &body, true); err != nil {
		return err
	}
	ctx, cancel := requestContext(c)
	defer cancel()
	s, err := a.DB.GetServerByName(ctx, c.Params("name"))
	if err != nil {
		return err
	}
	answer, err := a.console.Run(ctx, s, actor(c), body.Command)
	if err != nil {
		return apiConsoleErr(err)
	}
	return c.JSON(apiAnswer{Answer: answer})
}

// apiServerPlayers answers the game's status: map and players.
func (a *apiHandlers) apiServerPlayers(c *fiber.Ctx) error {
	ctx, cancel := requestContext(c)
	defer cancel()
	s, err := a.DB.GetServerByName(ctx, c.Params("name"))
	if err != nil {
		return err
	}
	st, err := a.console.Players(ctx, s)
	if err != nil {
		return apiConsoleErr(err)
	}
	admin := currentUser(c).Role == store.RoleAdmin
	out := apiPlayers{Server: s.Name, HostName: st.HostName, Map: st.Map, Humans: st.Humans, Bots: st.Bots,
		MaxPlayers: st.MaxPlayers, Players: make([]apiPlayer, len(st.Players))}
	for i, p := range st.Players {
		out.Players[i] = apiPlayer{UserID: p.UserID, Name: p.Name, SteamID: p.SteamID, ConnectedSeconds: int64(p.Connected / time.Second),
			Ping: p.Ping, Loss: p.Loss, State: p.State, Bot: p.Bot}
		if admin {
			out.Players[i].Address = p.Addr
		}
	}
	return c.JSON(out)
}

// apiServerPlayerKick kicks the player with the path's user id (kickid,
// recorded) and answers what the game said.
func (a *apiHandlers) apiServerPlayerKick(c *fiber.Ctx) error {
	ctx, cancel := requestContext(c)
	defer cancel()
	s, err := a.DB.GetServerByName(ctx, c.Params("name"))
	if err != nil {
		return err
	}
	id, err := strconv.Atoi(c.Params("userid"))
	if err != nil || id <= 0 {
		return apiErr(fiber.StatusNotFound, "A player's user id is a positive number, as GET …/players shows it.")
	}
	answer, err := a.console.Kick(ctx, s, actor(c), id)
	if err != nil {
		return apiConsoleErr(err)
	}
	return c.JSON(apiAnswer{Answer: answer})
}

// apiServerBans answers the server's bans that hold now, newest first.
func (a *apiHandlers) apiServerBans(c *fiber.Ctx) error {
	ctx, cancel := requestContext(c)
	defer cancel()
	s, err := a.DB.GetServerByName(ctx, c.Params("name"))
	if err != nil {
		return err
	}
	bans, err := a.DB.ListBans(ctx, s.ID)
	if err != nil {
		return err
	}
	out := make([]apiBan, len(bans))
	for i, b := range bans {
		out[i] = toAPIBan(b)
	}
	return c.JSON(fiber.Map{"server": s.Name, "bans": out})
}

// apiServerBanCreate bans a Steam ID from the server, applied at once
// when it runs, and answers 201 with the ban and how it applied. A
// refusal (422, 409 for a player banned already) changes nothing.
func (a *apiHandlers) apiServerBanCreate(c *fiber.Ctx) error {
	var body apiBanBody
	if err := decodeBody(c, &body, true); err != nil {
		return err
	}
	ctx, cancel := requestContext(c)
	defer cancel()
	s, err := a.DB.GetServerByName(ctx, c.Params("name"))
	if err != nil {
		return err
	}
	nb := console.NewBan{SteamID: body.SteamID, PlayerName: body.Name, Reason: body.Reason}
	if body.ExpiresAt != nil {
		nb.Expires = *body.ExpiresAt
	}
	b, applied, err := a.console.Ban(ctx, s, actor(c), nb)
	if err != nil {
		return apiConsoleErr(err)
	}
	return c.Status(fiber.StatusCreated).JSON(struct {
		Ban apiBan `json:"ban"`
		apiApplied
	}{toAPIBan(*b), toAPIApplied(applied, b.SteamID, true)})
}

// apiServerBanDelete lifts the ban of the path's Steam ID (removeid when
// the server runs) and answers how it applied; 404 when there is none.
func (a *apiHandlers) apiServerBanDelete(c *fiber.Ctx) error {
	ctx, cancel := requestContext(c)
	defer cancel()
	s, err := a.DB.GetServerByName(ctx, c.Params("name"))
	if err != nil {
		return err
	}
	id, err := url.PathUnescape(c.Params("steam_id"))
	if err != nil {
		return apiErr(fiber.StatusNotFound, "Write the Steam ID in the path as STEAM_1:0:12345 or %5BU:1:24690%5D.")
	}
	applied, err := a.console.Unban(ctx, s, actor(c), id)
	if err != nil {
		return apiConsoleErr(err)
	}
	return c.JSON(toAPIApplied(applied, id, false))
}
