package sudo

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"

	"github.com/left4me/left4me/hostbackend"
	"github.com/left4me/left4me/internal/a2s"
	"github.com/left4me/left4me/internal/rcon"
)

var _ hostbackend.Live = (*Backend)(nil)

// liveHost is what the backend keeps to ask the games on this host: one
// UDP socket for every query (opened on first use) and one RCON
// connection per game server. No root helper: srcds answers anyone on
// loopback.
type liveHost struct {
	once    sync.Once
	client  *a2s.Client
	openErr error
	rcon    rcon.Pool
}

// gameAddr is where an instance's srcds listens, seen from the panel.
func gameAddr(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }

// LiveQuery implements hostbackend.Live: A2S_INFO and A2S_PLAYER to every
// target at once over one socket, each within a second.
func (b *Backend) LiveQuery(ctx context.Context, targets []hostbackend.LiveTarget) []hostbackend.LiveInfo {
	out := make([]hostbackend.LiveInfo, len(targets))
	b.live.once.Do(func() {
		b.live.client, b.live.openErr = a2s.NewClient(a2s.ClientOpts{Listen: "127.0.0.1:0"})
	})
	addrs := make([]string, len(targets))
	for i, t := range targets {
		out[i] = hostbackend.LiveInfo{Name: t.Name}
		addrs[i] = gameAddr(t.Port)
	}
	if b.live.openErr != nil {
		for i := range out {
			out[i].Err = "cannot ask the game: " + b.live.openErr.Error()
		}
		return out
	}
	for i, r := range b.live.client.Sweep(ctx, addrs, a2s.WantInfo|a2s.WantPlayers) {
		in := &out[i]
		in.RTT = r.RTT
		if r.Info == nil {
			in.Err = errText(r.Err)
			continue
		}
		in.Answered = true
		in.HostName, in.Map, in.Game, in.Version = r.Info.Name, r.Info.Map, r.Info.Game, r.Info.Version
		in.Players, in.Bots, in.MaxPlayers = int(r.Info.Players), int(r.Info.Bots), int(r.Info.MaxPlayers)
		in.Secure = r.Info.VAC == 1
		if r.Players != nil {
			in.PlayerList = make([]hostbackend.LivePlayer, len(r.Players))
			for j, p := range r.Players {
				in.PlayerList[j] = hostbackend.LivePlayer{Name: p.Name, Score: int(p.Score), Connected: p.Connected()}
			}
		}
	}
	return out
}

// errText is a query's error for people, "no answer" when there is none.
func errText(err error) string {
	if err == nil {
		return "no answer"
	}
	return err.Error()
}

// RCON implements hostbackend.Live over one kept connection per server.
func (b *Backend) RCON(ctx context.Context, t hostbackend.LiveTarget, password, command string) (string, error) {
	if err := hostbackend.ValidateName(t.Name); err != nil {
		return "", err
	}
	if t.Port < 1 || t.Port > 65535 {
		return "", fmt.Errorf("rcon %s: port %d is not a port", t.Name, t.Port)
	}
	answer, err := b.live.rcon.Exec(ctx, gameAddr(t.Port), password, command)
	if errors.Is(err, rcon.ErrBadPassword) {
		return "", hostbackend.ErrRCONPassword
	}
	return answer, err
}
