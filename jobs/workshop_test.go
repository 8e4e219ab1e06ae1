package jobs_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/left4me/left4me/addons"
	"github.com/left4me/left4me/hostbackend/fake"
	"github.com/left4me/left4me/jobs"
	"github.com/left4me/left4me/store"
)

// setOf is the add-on set's files, "path bytes" each.
func setOf(t *testing.T, m *addons.Manager, name string) (rev int, files []string) {
	t.Helper()
	s, err := m.Set(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	fs, err := m.Files(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fs {
		files = append(files, f.Path)
	}
	return s.Rev, files
}

func TestAWorkshopJobPutsItsItemsIntoTheSetAsOneRevision(t *testing.T) {
	e := newEnv(t, fake.Options{GameInstalled: true})
	ctx := context.Background()
	m, err := addons.New(e.db, addons.Options{Root: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.CreateSet(ctx, "maps"); err != nil {
		t.Fatal(err)
	}
	startRunner(t, e.runner(jobs.RunnerOpts{Addons: m, LineFlushInterval: 5 * time.Millisecond}))
	rev0, _ := setOf(t, m, "maps")

	j, err := e.q.EnqueueWorkshop(ctx, jobs.WorkshopOptions{Set: "maps", Items: []string{"222", "111"}}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if j.Operation != store.OpGameWorkshop || j.ServerName != "" {
		t.Fatalf("job %+v", j)
	}
	done := waitJob(t, e.db, j.ID, store.JobSucceeded)
	rev, files := setOf(t, m, "maps")
	equal(t, "revision", rev, rev0+1)
	equal(t, "files", files, []string{"addons/workshop/111.vpk", "addons/workshop/222.vpk"})
	f, err := m.ReadFile(ctx, "maps", "addons/workshop/111.vpk")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(f)
	f.Close()
	equal(t, "item 111's bytes", string(body), string(fake.WorkshopItem("111")))
	if done.Progress.Percent == nil || *done.Progress.Percent != 100 || !strings.HasPrefix(done.Progress.Phase, "item 111 (2 of 2)") {
		t.Errorf("progress %+v", done.Progress)
	}
	if ls := jobLines(t, e.db, j.ID); countContaining(ls, "add-on set maps: revision") != 1 {
		t.Errorf("output %q", ls)
	}
	fs, _ := m.Files(ctx, "maps")
	items := jobs.WorkshopItems(fs)
	if len(items) != 2 || items[0].Path != "111" || items[1].Bytes != int64(len(fake.WorkshopItem("222"))) {
		t.Errorf("WorkshopItems = %+v", items)
	}

	// A refresh downloads every item the set holds again.
	e.fake.ResetCalls()
	j, err = e.q.EnqueueWorkshop(ctx, jobs.WorkshopOptions{Set: "maps"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	waitJob(t, e.db, j.ID, store.JobSucceeded)
	var got []string
	for _, c := range e.fake.Calls() {
		if c.Verb == "workshop-download" {
			got = append(got, c.Names...)
		}
	}
	equal(t, "refreshed", got, []string{"111", "222"})
	rev2, files2 := setOf(t, m, "maps")
	equal(t, "revision after the refresh", rev2, rev+1)
	equal(t, "files after the refresh", files2, files)

	// One item Steam does not have: the job fails, the set is unchanged.
	e.fake.FailWorkshopItem("333")
	j, err = e.q.EnqueueWorkshop(ctx, jobs.WorkshopOptions{Set: "maps", Items: []string{"444", "333"}}, 0)
	if err != nil {
		t.Fatal(err)
	}
	failed := waitJob(t, e.db, j.ID, store.JobFailed)
	if !strings.Contains(failed.Error, "Workshop item 333") || !strings.Contains(failed.Error, "unchanged") {
		t.Fatalf("error %q", failed.Error)
	}
	rev3, files3 := setOf(t, m, "maps")
	equal(t, "revision after the failure", rev3, rev2)
	equal(t, "files after the failure", files3, files)
}

func TestAWorkshopJobIsRefusedBadItemsAndNeedsItsSet(t *testing.T) {
	e := newEnv(t, fake.Options{GameInstalled: true})
	ctx := context.Background()
	for _, o := range []jobs.WorkshopOptions{
		{Set: "Maps", Items: []string{"1"}},
		{Set: "maps", Items: []string{"12x"}},
		{Set: "maps", Items: []string{"1", "1"}},
	} {
		if _, err := e.q.EnqueueWorkshop(ctx, o, 0); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("%+v: %v, want ErrInvalid", o, err)
		}
	}
	m, err := addons.New(e.db, addons.Options{Root: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	startRunner(t, e.runner(jobs.RunnerOpts{Addons: m}))
	j, err := e.q.EnqueueWorkshop(ctx, jobs.WorkshopOptions{Set: "nosuch", Items: []string{"1"}}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if failed := waitJob(t, e.db, j.ID, store.JobFailed); !strings.Contains(failed.Error, "nosuch") {
		t.Fatalf("error %q", failed.Error)
	}
}
