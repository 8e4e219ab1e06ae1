package store_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/store/storetest"
)

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestNewServersGetTheirOwnLongURLSafeRCONPassword(t *testing.T) {
	db := storetest.Open(t)
	a := storetest.Server(t, db, "coop-1", 27015)
	b := storetest.Server(t, db, "coop-2", 27016)
	for _, s := range []*store.Server{a, b} {
		if len(s.RCONPassword) < 43 || strings.Trim(s.RCONPassword, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") != "" {
			t.Fatalf("password %q: want at least 43 URL-safe characters (32 bytes)", s.RCONPassword)
		}
		got, err := db.GetServer(context.Background(), s.ID)
		if err != nil || got.RCONPassword != s.RCONPassword {
			t.Fatalf("read back %q, %v; want the stored password", got.RCONPassword, err)
		}
	}
	if a.RCONPassword == b.RCONPassword {
		t.Fatal("two servers share an RCON password")
	}
}

func TestRCONCommandsAreKeptWithTheirNamesAfterServerAndUserAreGone(t *testing.T) {
	db := storetest.Open(t)
	ctx := context.Background()
	s := storetest.Server(t, db, "coop-1", 27015)
	u, err := db.CreateUser(ctx, "ann", "h", store.RoleOperator)
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("é", 3000) // 6000 bytes
	for _, c := range []*store.RCONCommand{
		{ServerID: &s.ID, ServerName: s.Name, UserID: &u.ID, UserName: u.Name, Command: "status", Answer: long},
		{ServerID: &s.ID, ServerName: s.Name, UserID: &u.ID, UserName: u.Name, Command: "say hi", Answer: "bad \xff byte and \x00 NUL"},
		{ServerID: &s.ID, ServerName: s.Name, UserName: "bob", Command: "kickid 2", Error: "connection refused"},
	} {
		if err := db.AddRCONCommand(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	cs, err := db.ListRCONCommands(ctx, s.ID, 0)
	if err != nil || len(cs) != 3 {
		t.Fatalf("%d commands, %v", len(cs), err)
	}
	if cs[0].Command != "kickid 2" || cs[0].Error != "connection refused" || cs[2].Command != "status" {
		t.Fatalf("not newest first: %+v", cs)
	}
	if n := len(cs[2].Answer); n > store.MaxAuditAnswer || n < store.MaxAuditAnswer-1 || !utf8.ValidString(cs[2].Answer) {
		t.Fatalf("answer kept %d bytes (valid UTF-8: %v), want the first %d", n, utf8.ValidString(cs[2].Answer), store.MaxAuditAnswer)
	}
	if cs[1].Answer != "bad \uFFFD byte and \uFFFD NUL" {
		t.Fatalf("answer %q", cs[1].Answer)
	}
	if err := db.AddRCONCommand(ctx, &store.RCONCommand{ServerName: "x", UserName: "ann", Command: "a\x00b"}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("a command with a NUL: %v", err)
	}

	if _, _, err := db.DeleteUser(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteServer(ctx, s.ID); err != nil {
		t.Fatal(err)
	}
	var left []store.RCONCommand
	if err := db.Reader().NewSelect().Model(&left).Order("id").Scan(ctx); err != nil {
		t.Fatal(err)
	}
	if len(left) != 3 {
		t.Fatalf("%d rows left, want all 3", len(left))
	}
	for _, c := range left {
		if c.ServerID != nil || c.UserID != nil || c.ServerName != "coop-1" || c.UserName == "" {
			t.Fatalf("row after the deletes: %+v", c)
		}
	}
}

func TestBansHoldUntilTheyExpireAndOnePerPlayer(t *testing.T) {
	clk := &testClock{t: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}
	db := storetest.OpenWith(t, store.Options{Now: clk.Now})
	ctx := context.Background()
	s := storetest.Server(t, db, "coop-1", 27015)
	other := storetest.Server(t, db, "coop-2", 27016)

	forever := &store.Ban{ServerID: s.ID, SteamID: "STEAM_1:0:1", PlayerName: "Zoë", Reason: "griefing", CreatedBy: "ann"}
	hour := &store.Ban{ServerID: s.ID, SteamID: "STEAM_1:1:2", Reason: "spam", CreatedBy: "ann",
		ExpiresAt: store.NewTime(clk.Now().Add(time.Hour))}
	for _, b := range []*store.Ban{forever, hour, {ServerID: other.ID, SteamID: "STEAM_1:0:1", CreatedBy: "bob"}} {
		if err := db.AddBan(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	bans, err := db.ListBans(ctx, s.ID)
	if err != nil || len(bans) != 2 {
		t.Fatalf("%d bans, %v", len(bans), err)
	}

	t.Run("a second ban of the same player is refused and changes nothing", func(t *testing.T) {
		err := db.AddBan(ctx, &store.Ban{ServerID: s.ID, SteamID: "STEAM_1:0:1", Reason: "again", CreatedBy: "bob"})
		if !errors.Is(err, store.ErrConflict) || !strings.Contains(err.Error(), "banned from this server already") {
			t.Fatalf("err = %v", err)
		}
		b, _ := db.GetBan(ctx, s.ID, "STEAM_1:0:1")
		if b.Reason != "griefing" || b.CreatedBy != "ann" {
			t.Fatalf("the ban changed: %+v", b)
		}
	})
	t.Run("bad input is refused", func(t *testing.T) {
		for _, b := range []*store.Ban{
			{ServerID: s.ID, SteamID: "STEAM_1:0:9", Reason: "line\nbreak", CreatedBy: "ann"},
			{ServerID: s.ID, SteamID: "STEAM_1:0:9", Reason: strings.Repeat("x", store.MaxBanReasonLen+1), CreatedBy: "ann"},
			{ServerID: s.ID, SteamID: "STEAM_1:0:9", CreatedBy: "ann", ExpiresAt: store.NewTime(clk.Now().Add(-time.Minute))},
			{ServerID: s.ID, SteamID: "", CreatedBy: "ann"},
		} {
			if err := db.AddBan(ctx, b); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("%+v: err = %v, want invalid", b, err)
			}
		}
		if err := db.AddBan(ctx, &store.Ban{ServerID: 999, SteamID: "STEAM_1:0:9", CreatedBy: "ann"}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("a missing server: %v", err)
		}
		if bans, _ := db.ListBans(ctx, s.ID); len(bans) != 2 {
			t.Fatalf("%d bans after refusals", len(bans))
		}
	})
	t.Run("an expired ban is no longer listed and a new one replaces it", func(t *testing.T) {
		clk.Advance(2 * time.Hour)
		bans, _ := db.ListBans(ctx, s.ID)
		if len(bans) != 1 || bans[0].SteamID != "STEAM_1:0:1" {
			t.Fatalf("bans after the hour: %+v", bans)
		}
		if err := db.AddBan(ctx, &store.Ban{ServerID: s.ID, SteamID: "STEAM_1:1:2", Reason: "again", CreatedBy: "bob"}); err != nil {
			t.Fatalf("a new ban over an expired one: %v", err)
		}
		if bans, _ := db.ListBans(ctx, s.ID); len(bans) != 2 || bans[0].Reason != "again" || !bans[0].ExpiresAt.IsZero() {
			t.Fatalf("bans: %+v", bans)
		}
	})
	t.Run("an unban lifts one player's ban on one server", func(t *testing.T) {
		if err := db.DeleteBan(ctx, s.ID, "STEAM_1:0:1"); err != nil {
			t.Fatal(err)
		}
		if err := db.DeleteBan(ctx, s.ID, "STEAM_1:0:1"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("twice: %v", err)
		}
		if bans, _ := db.ListBans(ctx, other.ID); len(bans) != 1 {
			t.Fatalf("the other server's ban went too: %+v", bans)
		}
	})
	t.Run("a deleted server takes its bans along", func(t *testing.T) {
		if err := db.DeleteServer(ctx, other.ID); err != nil {
			t.Fatal(err)
		}
		n, err := db.Reader().NewSelect().Model((*store.Ban)(nil)).Where("server_id = ?", other.ID).Count(ctx)
		if err != nil || n != 0 {
			t.Fatalf("%d bans left, %v", n, err)
		}
	})
}
