package hostbackend

import (
	"context"
	"errors"
	"time"
)

// ErrRCONPassword is RCON's answer to a wrong password.
var ErrRCONPassword = errors.New("the server refused the RCON password")

// Live is what the game servers themselves say, a capability a Backend may
// have beside its methods: the live sweep asks every running server over
// the Source query protocol (A2S, no password), and the console and the
// player list speak RCON. The production backend asks srcds on the host's
// loopback address; the fake answers for its simulated servers. Methods
// are safe for concurrent use and honour context cancellation.
type Live interface {
	// LiveQuery asks each target at once and returns one answer per
	// target, in the order given. A target that does not answer has
	// Answered false and Err saying why; LiveQuery itself never fails.
	LiveQuery(ctx context.Context, targets []LiveTarget) []LiveInfo
	// RCON runs one command (one line) on the target with its RCON
	// password and returns the server's answer.
	RCON(ctx context.Context, t LiveTarget, password, command string) (string, error)
}

// LiveTarget is one game server to ask: its instance name and game port
// (UDP for queries, TCP for RCON).
type LiveTarget struct {
	Name string
	Port int
}

// LiveInfo is a game server's answer to a query: A2S_INFO and A2S_PLAYER.
type LiveInfo struct {
	Name     string // the instance, as in the LiveTarget
	Answered bool
	// Err says why the server did not answer ("no answer within 1 s"),
	// "" when it did.
	Err string
	// RTT is the query's round-trip time.
	RTT        time.Duration
	HostName   string
	Map        string
	Game       string // the game mode's description, e.g. "L4D2 - Co-op"
	Version    string
	Players    int // players connected, bots included
	Bots       int
	MaxPlayers int
	// Secure is whether VAC protects the server.
	Secure bool
	// PlayerList is A2S_PLAYER's answer; nil when it was not asked or
	// did not come.
	PlayerList []LivePlayer
}

// LivePlayer is one player as A2S_PLAYER tells: no Steam ID, no address.
type LivePlayer struct {
	Name      string
	Score     int
	Connected time.Duration
}
