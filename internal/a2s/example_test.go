package a2s_test

import (
	"context"
	"fmt"
	"log"
	"net"

	"github.com/left4me/left4me/internal/a2s"
)

// A server answering A2S_INFO and A2S_PLAYER with the challenge, as
// cmd/fakesrcds does, and one client sweeping it.
func ExampleClient_Sweep() {
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	go func() {
		challenge := [4]byte{1, 2, 3, 4}
		buf := make([]byte, 1500)
		for {
			n, from, err := conn.ReadFromUDP(buf)
			if err != nil {
				return
			}
			var got, reply []byte
			if c, ok := a2s.ParseRequest(buf[:n]); ok {
				got, reply = c, a2s.EncodeInfo(a2s.Info{Name: "Game night", Map: "c1m1_hotel", Players: 1, MaxPlayers: 8})
			} else if c, ok := a2s.ParsePlayerRequest(buf[:n]); ok {
				got, reply = c, a2s.EncodePlayers([]a2s.Player{{Name: `Zoë "the" kid`, Score: 3, Duration: 754.5}})
			} else {
				continue
			}
			if string(got) != string(challenge[:]) {
				reply = a2s.EncodeChallenge(challenge)
			}
			parts, _ := a2s.Split(reply, 1)
			for _, p := range parts {
				conn.WriteToUDP(p, from)
			}
		}
	}()

	// The panel keeps one Client and sweeps every running server's game
	// port with it.
	client, err := a2s.NewClient(a2s.ClientOpts{Listen: "127.0.0.1:0"})
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	for _, r := range client.Sweep(context.Background(), []string{conn.LocalAddr().String()}, a2s.WantInfo|a2s.WantPlayers) {
		if r.Err != nil {
			fmt.Println(r.Err)
			continue
		}
		fmt.Printf("%s on %s, %d/%d players\n", r.Info.Name, r.Info.Map, r.Info.Players, r.Info.MaxPlayers)
		for _, p := range r.Players {
			fmt.Printf("  %s: score %d, connected %v\n", p.Name, p.Score, p.Connected())
		}
	}
	// Output:
	// Game night on c1m1_hotel, 1/8 players
	//   Zoë "the" kid: score 3, connected 12m34.5s
}
