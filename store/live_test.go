package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/store/storetest"
)

func TestLiveSamplesAreStoredSummedUpAndPruned(t *testing.T) {
	db := storetest.Open(t)
	ctx := context.Background()
	a := storetest.Server(t, db, "a", 27015)
	b := storetest.Server(t, db, "b", 27016)
	t0 := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	var batch []store.LiveSample
	for i := range 12 { // two minutes of 10 s sweeps
		at := store.NewTime(t0.Add(time.Duration(i) * 10 * time.Second))
		batch = append(batch,
			store.LiveSample{ServerID: a.ID, At: at, Answered: i != 3, Players: i % 5, MaxPlayers: 8, Map: "c1m1_hotel"},
			store.LiveSample{ServerID: b.ID, At: at, Answered: false})
	}
	// A sample of a server deleted meanwhile is dropped, the rest kept.
	batch = append(batch, store.LiveSample{ServerID: 999, At: store.NewTime(t0), Answered: true})
	if err := db.AddLiveSamples(ctx, batch); err != nil {
		t.Fatal(err)
	}
	got, err := db.LiveSamples(ctx, a.ID, t0.Add(time.Minute), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 6 || !got[0].At.Equal(t0.Add(time.Minute)) || got[0].Players != 1 || got[0].Map != "c1m1_hotel" {
		t.Fatalf("samples from the second minute: %+v", got)
	}
	hist, err := db.LiveHistory(ctx, a.ID, t0, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 2 {
		t.Fatalf("two minutes in one-minute buckets: %+v", hist)
	}
	if h := hist[0]; !h.Start.Equal(t0) || h.Players != 4 || h.MaxPlayers != 8 || h.Samples != 6 || h.Answered != 5 {
		t.Errorf("the first minute: %+v, want start %s, at most 4 players of 8, 5 of 6 answered", h, t0)
	}
	n, err := db.PruneLiveSamples(ctx, t0.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if n != 12 {
		t.Errorf("pruned %d samples, want the first minute's 12 (6 of each server)", n)
	}
	if got, _ := db.LiveSamples(ctx, a.ID, time.Time{}, 0); len(got) != 6 {
		t.Errorf("%d samples left of a, want 6", len(got))
	}
}
