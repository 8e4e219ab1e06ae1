package rcon

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

const l4d2Status = "hostname: Game night\n" +
	"version : 2.2.4.3 8749 secure\n" +
	"udp/ip  : 0.0.0.0:27015 [ public 203.0.113.1:27015 ]\n" +
	"os      : Linux Dedicated\n" +
	"map     : c1m2_streets\n" +
	"players : 1 humans, 0 bots (8 max) (not hibernating) (unreserved)\n" +
	"\n" +
	"# userid name uniqueid connected ping loss state rate adr\n" +
	"#  2 1 \"name\" STEAM_1:0:123 00:54 26 0 active 30000 203.0.113.7:27005\n" +
	"#  3 \"Coach\" BOT active\n" +
	"#end\n"

func TestParseStatus(t *testing.T) {
	want := Status{
		HostName: "Game night", Version: "2.2.4.3 8749", Secure: true,
		Addr: "0.0.0.0:27015 [ public 203.0.113.1:27015 ]", Map: "c1m2_streets",
		Humans: 1, Bots: 0, MaxPlayers: 8,
		Players: []Player{
			{UserID: 2, Name: "name", SteamID: "STEAM_1:0:123", Connected: 54 * time.Second, Ping: 26,
				State: "active", Rate: 30000, Addr: "203.0.113.7:27005"},
			{UserID: 3, Name: "Coach", SteamID: "BOT", State: "active", Bot: true},
		},
	}
	if got := ParseStatus(l4d2Status); !reflect.DeepEqual(got, want) {
		t.Errorf("ParseStatus =\n%+v\nwant\n%+v", got, want)
	}
	// srcds ends its lines with \n; a console may add \r.
	if got := ParseStatus(strings.ReplaceAll(l4d2Status, "\n", "\r\n")); !reflect.DeepEqual(got, want) {
		t.Errorf("ParseStatus with CRLF =\n%+v\nwant\n%+v", got, want)
	}
}

func TestParsePlayerRows(t *testing.T) {
	for _, tt := range []struct {
		name string
		line string
		want Player
	}{
		{"without the slot number",
			`# 12 "Ellis" STEAM_1:1:42 1:02:03 80 2 spawning 20000 198.51.100.2:27005`,
			Player{UserID: 12, Name: "Ellis", SteamID: "STEAM_1:1:42", Connected: time.Hour + 2*time.Minute + 3*time.Second,
				Ping: 80, Loss: 2, State: "spawning", Rate: 20000, Addr: "198.51.100.2:27005"}},
		{"a name with spaces and quotes",
			`#  2 1 "the "real" one" STEAM_1:0:1 00:01 5 0 active 30000 192.0.2.1:27005`,
			Player{UserID: 2, Name: `the "real" one`, SteamID: "STEAM_1:0:1", Connected: time.Second, Ping: 5,
				State: "active", Rate: 30000, Addr: "192.0.2.1:27005"}},
		{"a name that imitates the rest of a row",
			`#  2 1 "x" STEAM_1:0:666 00:01 1 0 active 1 6.6.6.6:1" STEAM_1:0:7 02:00 9 1 active 30000 192.0.2.7:27005`,
			Player{UserID: 2, Name: `x" STEAM_1:0:666 00:01 1 0 active 1 6.6.6.6:1`, SteamID: "STEAM_1:0:7",
				Connected: 2 * time.Minute, Ping: 9, Loss: 1, State: "active", Rate: 30000, Addr: "192.0.2.7:27005"}},
		{"a human whose name imitates a bot",
			`#  4 2 "Coach" BOT active" STEAM_1:1:8 00:10 30 0 active 30000 192.0.2.8:27005`,
			Player{UserID: 4, Name: `Coach" BOT active`, SteamID: "STEAM_1:1:8", Connected: 10 * time.Second,
				Ping: 30, State: "active", Rate: 30000, Addr: "192.0.2.8:27005"}},
		{"a bot whose name ends in a quote",
			`#  5 "Zoey"" BOT active`,
			Player{UserID: 5, Name: `Zoey"`, SteamID: "BOT", State: "active", Bot: true}},
		{"an empty name",
			`#  6 3 "" STEAM_1:0:9 00:00 0 0 connecting 0 192.0.2.9:27005`,
			Player{UserID: 6, Name: "", SteamID: "STEAM_1:0:9", State: "connecting", Addr: "192.0.2.9:27005"}},
		{"non-ASCII",
			`#  7 4 "Ñandú 🐍 Пётр" STEAM_1:0:10 59:59 100 3 active 30000 192.0.2.10:27005`,
			Player{UserID: 7, Name: "Ñandú 🐍 Пётр", SteamID: "STEAM_1:0:10", Connected: 59*time.Minute + 59*time.Second,
				Ping: 100, Loss: 3, State: "active", Rate: 30000, Addr: "192.0.2.10:27005"}},
		{"a Steam ID of the newer form",
			`#  8 5 "new" [U:1:123456] 00:30 40 0 active 80000 192.0.2.11:27005`,
			Player{UserID: 8, Name: "new", SteamID: "[U:1:123456]", Connected: 30 * time.Second, Ping: 40,
				State: "active", Rate: 80000, Addr: "192.0.2.11:27005"}},
		{"a row cut short",
			`#  9 6 "short" STEAM_ID_PENDING 00:02`,
			Player{UserID: 9, Name: "short", SteamID: "STEAM_ID_PENDING", Connected: 2 * time.Second}},
		{"fields that are not numbers",
			`#  10 7 "odd" STEAM_1:0:11 soon many none active fast somewhere`,
			Player{UserID: 10, Name: "odd", SteamID: "STEAM_1:0:11", State: "active", Addr: "somewhere"}},
		{"an unknown kind of id",
			`#  11 8 "some "one"" LAN 00:05 1 0 active 1 192.0.2.12:27005`,
			Player{UserID: 11, Name: `some "one"`, SteamID: "LAN", Connected: 5 * time.Second, Ping: 1,
				State: "active", Rate: 1, Addr: "192.0.2.12:27005"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := ParseStatus(tt.line + "\n").Players
			if len(got) != 1 || !reflect.DeepEqual(got[0], tt.want) {
				t.Errorf("players =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

func TestParseStatusSkipsWhatItDoesNotKnow(t *testing.T) {
	for _, in := range []string{
		"",
		"Unknown command \"stauts\"\n",
		"# userid name uniqueid connected ping loss state rate adr\n#end\n",
		"#\n# \n#x \"a\" BOT active\n# 99999999999999999999 \"big\" BOT active\n# 2 1 no quotes here\n# 3 \"unclosed\n",
		"\x00\xff\xfe:::\n:\n players\n",
		strings.Repeat(`" `, 10000),
		"#1 \"" + strings.Repeat("x ", 10000),
	} {
		got := ParseStatus(in)
		if !reflect.DeepEqual(got, Status{}) {
			t.Errorf("ParseStatus(%.40q) = %+v, want an empty Status", in, got)
		}
	}
}

func TestParseStatusHeaderVariants(t *testing.T) {
	got := ParseStatus("hostname:   Spaced: out  \nversion : 1.0.0.0/24 1234 insecure\nmap     : de_dust2 at: 0 x, 0 y, 0 z\nplayers : 3 (16 max)\n")
	want := Status{HostName: "Spaced: out", Version: "1.0.0.0/24 1234", Map: "de_dust2", Humans: 3, MaxPlayers: 16}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ParseStatus = %+v, want %+v", got, want)
	}
}

func TestFormatStatusIsReadBack(t *testing.T) {
	in := Status{
		HostName: "Game night", Version: "2.2.4.3 8749", Secure: true, Addr: "0.0.0.0:27015", Map: "c2m1_highway",
		Humans: 2, Bots: 1, MaxPlayers: 8,
		Players: []Player{
			{UserID: 2, Name: `Nick "the" "Gambler"`, SteamID: "STEAM_1:0:1", Connected: 2*time.Hour + 3*time.Second,
				Ping: 50, Loss: 1, State: "active", Rate: 30000, Addr: "192.0.2.1:27005"},
			{UserID: 3, Name: strings.Repeat("Ω", 64), SteamID: "STEAM_1:1:2", Connected: 59 * time.Second,
				Ping: 20, State: "spawning", Rate: 20000, Addr: "192.0.2.2:27005"},
			{UserID: 4, Name: "Rochelle", SteamID: "BOT", State: "active", Bot: true},
		},
	}
	text := FormatStatus(in)
	if !strings.Contains(text, "#  2 1 \"Nick \"the\" \"Gambler\"\" STEAM_1:0:1 2:00:03 50 1 active 30000 192.0.2.1:27005\n") ||
		!strings.Contains(text, "#  4 \"Rochelle\" BOT active\n") ||
		!strings.Contains(text, "players : 2 humans, 1 bots (8 max)") {
		t.Errorf("FormatStatus wrote\n%s", text)
	}
	if got := ParseStatus(text); !reflect.DeepEqual(got, in) {
		t.Errorf("read back =\n%+v\nwant\n%+v", got, in)
	}
	// A line break in a name would make a line of its own.
	text = FormatStatus(Status{HostName: "a\nmap : evil", Players: []Player{{UserID: 2, Name: "x\n# 3 \"y\" BOT active", Bot: true, SteamID: "BOT"}}})
	if got := ParseStatus(text); got.Map != "" || len(got.Players) != 1 {
		t.Errorf("line breaks made lines of their own:\n%s", text)
	}
}

func FuzzParseStatus(f *testing.F) {
	f.Add(l4d2Status)
	f.Add("#  2 1 \"x\" STEAM_1:0:666 00:01 1 0 active 1 6.6.6.6:1\" STEAM_1:0:7 02:00 9 1 active 30000 192.0.2.7:27005\n")
	f.Add("#  5 \"Zoey\"\" BOT active\n# 6 \"a\" BOT\n# 7 7 \"\" STEAM_1:0:1\n")
	f.Add("players : 3 (16 max)\nversion : insecure\nmap :\n")
	f.Add("# 1 \"\xff\xfe\" [U:1:2] 100:00:00 -1 x\r\n")
	f.Fuzz(func(t *testing.T, in string) {
		s := ParseStatus(in)
		// What was read, written and read again is read the same.
		if again := ParseStatus(FormatStatus(s)); !reflect.DeepEqual(again, s) {
			t.Errorf("ParseStatus(%q) =\n%+v\nbut read back from\n%s\nit is\n%+v", in, s, FormatStatus(s), again)
		}
	})
}
