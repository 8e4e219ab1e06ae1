package fake_test

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/left4me/left4me/hostbackend"
	"github.com/left4me/left4me/hostbackend/fake"
)

// journalOf returns the unit's last 50 log lines, stamps and all.
func journalOf(t *testing.T, b *fake.Backend, name string) []hostbackend.Line {
	t.Helper()
	var got []hostbackend.Line
	if err := b.Journal(context.Background(), name, 50, false, func(l hostbackend.Line) { got = append(got, l) }); err != nil {
		t.Fatal(err)
	}
	return got
}

func TestLogLinesCarryTheTimeTheyWereMade(t *testing.T) {
	ctx := context.Background()
	b, clk := newClocked(t)
	t0 := clk.Now()
	if err := b.Enable(ctx, "coop-1", nil); err != nil {
		t.Fatal(err)
	}
	// The start finishes at its due time, whenever the fake is next asked.
	clk.Add(10 * time.Second)
	b.AppendJournal("coop-1", []string{"map c1m1_hotel loaded"})
	want := []hostbackend.Line{
		{Text: "Starting left4me-server@coop-1.service - Left 4 Dead 2 server coop-1...", Time: t0},
		{Text: "Started left4me-server@coop-1.service - Left 4 Dead 2 server coop-1.", Time: t0.Add(2 * time.Second)},
		{Text: "map c1m1_hotel loaded", Time: t0.Add(10 * time.Second)},
	}
	if got := journalOf(t, b, "coop-1"); !reflect.DeepEqual(got, want) {
		t.Fatalf("journal:\n got %v\nwant %v", got, want)
	}

	clk.Add(time.Minute)
	b.SeedJournal("coop-1", []string{"a fresh log"})
	want = []hostbackend.Line{{Text: "a fresh log", Time: t0.Add(70 * time.Second)}}
	if got := journalOf(t, b, "coop-1"); !reflect.DeepEqual(got, want) {
		t.Fatalf("after SeedJournal:\n got %v\nwant %v", got, want)
	}
}

func TestLogTimesAreKeptUnderTheStateRoot(t *testing.T) {
	root := t.TempDir()
	at := time.Date(2026, 11, 30, 9, 21, 8, 0, time.UTC)
	fake.New(fake.Options{StateRoot: root, Now: func() time.Time { return at }}).AppendJournal("coop-1", []string{"kept"})
	got := journalOf(t, fake.New(fake.Options{StateRoot: root}), "coop-1")
	if want := []hostbackend.Line{{Text: "kept", Time: at}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("another process reads %v, want %v", got, want)
	}
}

func TestLogLinesSavedWithoutTimesStillLoad(t *testing.T) {
	root := t.TempDir()
	// A units file from before log lines had their times.
	old := `{"next_pid":1,"units":{"coop-1":{"known":true,"active":"inactive","sub":"dead","result":"success","since":"2026-11-30T08:00:00Z","journal":["older line","another"]}}}`
	if err := os.WriteFile(filepath.Join(root, "fake-units.json"), []byte(old), 0o640); err != nil {
		t.Fatal(err)
	}
	got := journalOf(t, fake.New(fake.Options{StateRoot: root}), "coop-1")
	if want := []hostbackend.Line{{Text: "older line"}, {Text: "another"}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("journal = %v, want %v", got, want)
	}
}
