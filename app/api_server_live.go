package app

import (
	"net/url"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/hostbackend"
	"github.com/left4me/left4me/store"
)

// apiLive is what a server's game said last (A2S_INFO and A2S_PLAYER).
type apiLive struct {
	Server   string `json:"server"`
	Answered bool   `json:"answered"`
	// NotAnswering: systemd runs the server but its game missed two
	// sweeps in a row (live.View.NotAnswering).
	NotAnswering bool `json:"not_answering"`
	// Error says why the game did not answer, "" when it did.
	Error      string  `json:"error"`
	HostName   string  `json:"host_name"`
	Map        string  `json:"map"`
	Game       string  `json:"game"`
	Version    string  `json:"version"`
	Players    int     `json:"players"`
	Bots       int     `json:"bots"`
	MaxPlayers int     `json:"max_players"`
	Secure     bool    `json:"secure"`
	RTTMillis  float64 `json:"rtt_ms"`
	// SampledAt is when the game was asked, LastAnswer when it last
	// answered (nil: never since the panel started).
	SampledAt  *time.Time      `json:"sampled_at"`
	LastAnswer *time.Time      `json:"last_answer"`
	PlayerList []apiLivePlayer `json:"player_list"`
}

// apiLivePlayer is one player as A2S_PLAYER tells (no Steam ID).
type apiLivePlayer struct {
	Name      string `json:"name"`
	Score     int    `json:"score"`
	Connected int64  `json:"connected_s"`
}

// apiLiveSample is one stored sample of the live sweep.
type apiLiveSample struct {
	At         *time.Time `json:"at"`
	Answered   bool       `json:"answered"`
	Players    int        `json:"players"`
	MaxPlayers int        `json:"max_players"`
	Map        string     `json:"map"`
}

// apiLiveSamples is a page of samples, oldest first, and the address of
// the next page (nil when this one is the last).
type apiLiveSamples struct {
	Server  string          `json:"server"`
	Since   *time.Time      `json:"since"`
	Samples []apiLiveSample `json:"samples"`
	Next    *string         `json:"next"`
}

// samplesPage is the most samples one answer holds.
const samplesPage = 5000

// apiServerLive answers what the server's game says: asked now unless its
// answer is a couple of seconds old (live.Sweeper.Look). A server that is
// not running has answered false and no times. 503 where no live sweep
// runs.
func (a *apiHandlers) apiServerLive(c *fiber.Ctx) error {
	ctx, cancel := requestContext(c)
	defer cancel()
	s, err := a.DB.GetServerByName(ctx, c.Params("name"))
	if err != nil {
		return err
	}
	if a.Live == nil {
		return apiErr(fiber.StatusServiceUnavailable, "The panel does not ask the games here: the host backend cannot, or no job workers run.")
	}
	out := apiLive{Server: s.Name, PlayerList: []apiLivePlayer{}}
	if s.ActualState == hostbackend.StateRunning {
		v := a.Live.Look(ctx, *s)
		out.Answered, out.NotAnswering, out.Error = v.Answered, v.NotAnswering(), v.Err
		out.HostName, out.Map, out.Game, out.Version = v.HostName, v.Map, v.Game, v.Version
		out.Players, out.Bots, out.MaxPlayers, out.Secure = v.Players, v.Bots, v.MaxPlayers, v.Secure
		out.RTTMillis = float64(v.RTT.Microseconds()) / 1000
		out.SampledAt, out.LastAnswer = apiTime(store.NewTime(v.At)), apiTime(store.NewTime(v.LastAnswer))
		for _, p := range v.PlayerList {
			out.PlayerList = append(out.PlayerList, apiLivePlayer{Name: p.Name, Score: p.Score, Connected: int64(p.Connected / time.Second)})
		}
	}
	return c.JSON(out)
}

// apiServerSamples answers the live sweep's stored samples of the server
// from ?since= (RFC 3339; default a day ago) on, oldest first, at most
// samplesPage of them with the next page's address. A since that is not
// a time is 400.
func (a *apiHandlers) apiServerSamples(c *fiber.Ctx) error {
	ctx, cancel := requestContext(c)
	defer cancel()
	s, err := a.DB.GetServerByName(ctx, c.Params("name"))
	if err != nil {
		return err
	}
	since := a.Now().Add(-24 * time.Hour)
	if q := c.Query("since"); q != "" {
		if since, err = time.Parse(time.RFC3339Nano, q); err != nil {
			return apiErr(fiber.StatusBadRequest, "since must be a time in RFC 3339, such as 2026-11-30T09:00:00Z.")
		}
	}
	samples, err := a.DB.LiveSamples(ctx, s.ID, since, samplesPage+1)
	if err != nil {
		return err
	}
	out := apiLiveSamples{Server: s.Name, Since: apiTime(store.NewTime(since)), Samples: make([]apiLiveSample, 0, len(samples))}
	if len(samples) > samplesPage {
		samples = samples[:samplesPage]
		next := "/api/v1/servers/" + s.Name + "/samples?since=" +
			url.QueryEscape(samples[len(samples)-1].At.Add(time.Millisecond).UTC().Format(time.RFC3339Nano))
		out.Next = &next
	}
	for _, x := range samples {
		out.Samples = append(out.Samples, apiLiveSample{At: apiTime(x.At), Answered: x.Answered, Players: x.Players, MaxPlayers: x.MaxPlayers, Map: x.Map})
	}
	return c.JSON(out)
}
