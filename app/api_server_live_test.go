package app_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/store/storetest"
)

// apiLive is the JSON of GET /api/v1/servers/{name}/live.
type apiLive struct {
	Server       string     `json:"server"`
	Answered     bool       `json:"answered"`
	NotAnswering bool       `json:"not_answering"`
	Error        string     `json:"error"`
	HostName     string     `json:"host_name"`
	Map          string     `json:"map"`
	Game         string     `json:"game"`
	Version      string     `json:"version"`
	Players      int        `json:"players"`
	Bots         int        `json:"bots"`
	MaxPlayers   int        `json:"max_players"`
	Secure       bool       `json:"secure"`
	RTTMillis    *float64   `json:"rtt_ms"`
	SampledAt    *time.Time `json:"sampled_at"`
	LastAnswer   *time.Time `json:"last_answer"`
	PlayerList   []struct {
		Name      string `json:"name"`
		Score     int    `json:"score"`
		Connected *int64 `json:"connected_s"`
	} `json:"player_list"`
}

func TestAPILiveSaysWhatTheGameSays(t *testing.T) {
	e, sw := newEnvLive(t)
	op, _ := e.apiAs("ann", store.RoleOperator)
	e.runGame(t, "coop-1", 27015, "hostname \"Game night\"\n")
	// Players join as the simulated minutes pass.
	for range 20 {
		e.clock.Advance(time.Minute)
		e.sweep(t, sw)
	}
	var l apiLive
	e.clock.Advance(5 * time.Second) // past the sweep's freshness: the API asks again
	op.callJSON("GET", "/api/v1/servers/coop-1/live", nil, 200, &l)
	v, _ := sw.View("coop-1")
	if !v.At.Equal(e.clock.Now()) {
		t.Fatalf("the API did not ask the game now: asked at %v, now %v", v.At, e.clock.Now())
	}
	if !l.Answered || l.NotAnswering || l.Error != "" || l.Server != "coop-1" || l.HostName != "Game night" || l.Map != v.Map || l.Map == "" ||
		l.MaxPlayers != 8 || l.Players != v.Players || l.Game != "L4D2 - Co-op" || l.Version == "" || !l.Secure || l.RTTMillis == nil || *l.RTTMillis <= 0 {
		t.Fatalf("live: %+v, view %+v", l, v)
	}
	if now := e.clock.Now().UTC().Truncate(time.Millisecond); l.LastAnswer == nil || !l.LastAnswer.Equal(now) || l.SampledAt == nil || !l.SampledAt.Equal(now) {
		t.Fatalf("last answer %v, want %v", l.LastAnswer, e.clock.Now())
	}
	if len(l.PlayerList) != len(v.PlayerList) {
		t.Fatalf("%d players listed, the game has %d", len(l.PlayerList), len(v.PlayerList))
	}
	for i, p := range l.PlayerList {
		if p.Name != v.PlayerList[i].Name || p.Connected == nil || *p.Connected != int64(v.PlayerList[i].Connected/time.Second) {
			t.Fatalf("player %d: %+v, want %+v", i, p, v.PlayerList[i])
		}
	}

	e.backend.SilenceGame("coop-1", true)
	e.sweep(t, sw)
	e.clock.Advance(5 * time.Second)
	l = apiLive{}
	op.callJSON("GET", "/api/v1/servers/coop-1/live", nil, 200, &l)
	if l.Answered || !l.NotAnswering || l.Error == "" || l.LastAnswer == nil || l.Map != "" || len(l.PlayerList) != 0 {
		t.Fatalf("a hung game: %+v", l)
	}

	storetest.Server(t, e.db, "idle", 27016)
	l = apiLive{}
	op.callJSON("GET", "/api/v1/servers/idle/live", nil, 200, &l)
	if l.Answered || l.NotAnswering || l.LastAnswer != nil || l.PlayerList == nil {
		t.Fatalf("a stopped server: %+v", l)
	}
	var eb apiErrorBody
	op.callJSON("GET", "/api/v1/servers/nope/live", nil, 404, &eb)
}

func TestAPILiveWithoutASweepIs503(t *testing.T) {
	e := newEnv(t)
	op, _ := e.apiAs("ann", store.RoleOperator)
	e.runGame(t, "coop-1", 27015, "")
	var eb apiErrorBody
	op.callJSON("GET", "/api/v1/servers/coop-1/live", nil, 503, &eb)
	if !strings.Contains(eb.Error, "does not ask the games") {
		t.Fatalf("error %q", eb.Error)
	}
}

// apiSamples is the JSON of GET /api/v1/servers/{name}/samples.
type apiSamples struct {
	Server  string     `json:"server"`
	Since   *time.Time `json:"since"`
	Samples []struct {
		At         *time.Time `json:"at"`
		Answered   bool       `json:"answered"`
		Players    *int       `json:"players"`
		MaxPlayers int        `json:"max_players"`
		Map        string     `json:"map"`
	} `json:"samples"`
	Next *string `json:"next"`
}

func TestAPISamplesFromSinceOn(t *testing.T) {
	e, sw := newEnvLive(t)
	op, _ := e.apiAs("ann", store.RoleOperator)
	s := e.runGame(t, "coop-1", 27015, "")
	start := e.clock.Now()
	// 30 h of sweeps 10 min apart: the default day holds the last 144.
	for range 180 {
		e.sweep(t, sw)
		e.clock.Advance(10 * time.Minute)
	}
	var got apiSamples
	op.callJSON("GET", "/api/v1/servers/coop-1/samples", nil, 200, &got)
	if got.Server != "coop-1" || len(got.Samples) != 144 || got.Next != nil {
		t.Fatalf("a day's samples: %d, next %v", len(got.Samples), got.Next)
	}
	first := got.Samples[0]
	if got.Since == nil || got.Since.Before(e.clock.Now().Add(-24*time.Hour-time.Millisecond)) || first.At == nil || first.At.Before(*got.Since) || !first.Answered || first.MaxPlayers != 8 || !strings.HasPrefix(first.Map, "c") || first.Players == nil {
		t.Fatalf("first sample %+v", first)
	}
	for i := 1; i < len(got.Samples); i++ {
		if !got.Samples[i].At.After(*got.Samples[i-1].At) {
			t.Fatalf("samples not oldest first at %d", i)
		}
	}

	since := start.Add(25 * time.Minute).UTC().Format(time.RFC3339)
	got = apiSamples{}
	op.callJSON("GET", "/api/v1/servers/coop-1/samples?since="+url.QueryEscape(since), nil, 200, &got)
	if len(got.Samples) != 177 || got.Since == nil || got.Since.Format(time.RFC3339) != since {
		t.Fatalf("since %s: %d samples (want 177), since %v", since, len(got.Samples), got.Since)
	}

	for _, bad := range []string{"yesterday", "2026-11-30", "1700000000"} {
		var eb apiErrorBody
		op.callJSON("GET", "/api/v1/servers/coop-1/samples?since="+url.QueryEscape(bad), nil, 400, &eb)
		if !strings.Contains(eb.Error, "RFC 3339") {
			t.Fatalf("since=%s: %q", bad, eb.Error)
		}
	}
	n, err := e.db.LiveSamples(context.Background(), s.ID, time.Time{}, 0)
	if err != nil || len(n) != 180 {
		t.Fatalf("refusals changed the samples: %d, %v", len(n), err)
	}
}

func TestAPISamplesComeInPages(t *testing.T) {
	e := newEnv(t)
	op, _ := e.apiAs("ann", store.RoleOperator)
	s := storetest.Server(t, e.db, "coop-1", 27015)
	start := e.clock.Now().Add(-20 * time.Hour)
	samples := make([]store.LiveSample, 7000)
	for i := range samples {
		samples[i] = store.LiveSample{ServerID: s.ID, At: store.NewTime(start.Add(time.Duration(i) * 10 * time.Second)), Answered: true, Players: i % 5, MaxPlayers: 8, Map: "c1m1_hotel"}
	}
	if err := e.db.AddLiveSamples(context.Background(), samples); err != nil {
		t.Fatal(err)
	}
	var p1, p2 apiSamples
	op.callJSON("GET", "/api/v1/servers/coop-1/samples", nil, 200, &p1)
	if len(p1.Samples) != 5000 || p1.Next == nil {
		t.Fatalf("first page: %d samples, next %v", len(p1.Samples), p1.Next)
	}
	op.callJSON("GET", *p1.Next, nil, 200, &p2)
	if len(p2.Samples) != 2000 || p2.Next != nil || !p2.Samples[0].At.After(*p1.Samples[4999].At) {
		t.Fatalf("second page: %d samples, next %v", len(p2.Samples), p2.Next)
	}
}
