package addons_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/left4me/left4me/addons"
	"github.com/left4me/left4me/hostbackend"
	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/store/storetest"
)

type env struct {
	db   *store.DB
	m    *addons.Manager
	root string
}

func newEnv(t testing.TB, opts addons.Options) *env {
	t.Helper()
	db := storetest.Open(t)
	if opts.Root == "" {
		opts.Root = t.TempDir()
	}
	m, err := addons.New(db, opts)
	if err != nil {
		t.Fatal(err)
	}
	return &env{db: db, m: m, root: opts.Root}
}

var ctx = context.Background()

func (e *env) create(t testing.TB, name string) addons.Set {
	t.Helper()
	s, err := e.m.CreateSet(ctx, name)
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	return s
}

func (e *env) put(t testing.TB, set, p, content string) addons.Set {
	t.Helper()
	s, err := e.m.PutFile(ctx, set, p, strings.NewReader(content))
	if err != nil {
		t.Fatalf("put %s %s: %v", set, p, err)
	}
	return s
}

func (e *env) read(t *testing.T, set, p string) string {
	t.Helper()
	f, err := e.m.ReadFile(ctx, set, p)
	if err != nil {
		t.Fatalf("read %s %s: %v", set, p, err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// tree returns the set's files as path → content, read from disk at
// revision rev.
func (e *env) tree(t *testing.T, set string, rev int) map[string]string {
	t.Helper()
	root := filepath.Join(e.m.Dir(set, rev), "left4dead2")
	got := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type()&os.ModeSymlink != 0 {
			t.Errorf("%s is a symbolic link", p)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(root, p)
		got[rel] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func (e *env) blueprint(t *testing.T, name string) int64 {
	t.Helper()
	b := &store.Blueprint{Name: name, Map: "c1m1_hotel", GameMode: "coop", MaxPlayers: 8}
	if err := e.db.CreateBlueprint(ctx, b); err != nil {
		t.Fatal(err)
	}
	return b.ID
}

func wantErr(t *testing.T, err, kind error, contains string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one matching %v containing %q", kind, contains)
	}
	if !errors.Is(err, kind) {
		t.Errorf("error %q does not match %v", err, kind)
	}
	if !strings.Contains(err.Error(), contains) {
		t.Errorf("error %q does not say %q", err, contains)
	}
}

func TestCreateListDeleteSets(t *testing.T) {
	e := newEnv(t, addons.Options{})
	s := e.create(t, "competitive")
	if s.Name != "competitive" || s.Rev != 1 || s.Files != 0 || s.Bytes != 0 {
		t.Errorf("new set = %+v", s)
	}
	if fi, err := os.Stat(filepath.Join(e.m.Dir("competitive", 1), "left4dead2")); err != nil || !fi.IsDir() {
		t.Errorf("revision 1 has no left4dead2 directory: %v", err)
	}
	e.create(t, "maps")

	_, err := e.m.CreateSet(ctx, "maps")
	wantErr(t, err, store.ErrConflict, "an add-on set named maps already exists")
	_, err = e.m.CreateSet(ctx, "Bad Name")
	wantErr(t, err, store.ErrInvalid, "add-on set name: “Bad Name” contains")
	_, err = e.m.CreateSet(ctx, "")
	wantErr(t, err, store.ErrInvalid, "add-on set name: the name is empty")

	sets, err := e.m.Sets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(sets) != 2 || sets[0].Name != "competitive" || sets[1].Name != "maps" {
		t.Fatalf("sets = %+v", sets)
	}

	if err := e.m.DeleteSet(ctx, "maps"); err != nil {
		t.Fatal(err)
	}
	_, err = e.m.Set(ctx, "maps")
	wantErr(t, err, store.ErrNotFound, "add-on set maps does not exist")
	wantErr(t, e.m.DeleteSet(ctx, "maps"), store.ErrNotFound, "add-on set maps does not exist")
	wantErr(t, e.m.DeleteSet(ctx, "../x"), store.ErrNotFound, "does not exist")
}

func TestPutReadDeleteFiles(t *testing.T) {
	e := newEnv(t, addons.Options{})
	e.create(t, "comp")
	s := e.put(t, "comp", "cfg/hostname.cfg", `hostname "comp"`)
	if s.Rev != 2 || s.Files != 1 || s.Bytes != int64(len(`hostname "comp"`)) {
		t.Errorf("after a put: %+v", s)
	}
	e.put(t, "comp", "addons/sourcemod/plugins/a.smx", "AAAA")
	s = e.put(t, "comp", "cfg/hostname.cfg", "hostname x")
	if s.Rev != 4 || s.Files != 2 || s.Bytes != 14 {
		t.Errorf("after a replace: %+v", s)
	}
	if got := e.read(t, "comp", "cfg/hostname.cfg"); got != "hostname x" {
		t.Errorf("read = %q", got)
	}
	files, err := e.m.Files(ctx, "comp")
	if err != nil {
		t.Fatal(err)
	}
	want := []addons.File{{Path: "addons/sourcemod/plugins/a.smx", Bytes: 4}, {Path: "cfg/hostname.cfg", Bytes: 10}}
	if !reflect.DeepEqual(files, want) {
		t.Errorf("files = %+v, want %+v", files, want)
	}

	s, err = e.m.DeleteFile(ctx, "comp", "addons/sourcemod/plugins/a.smx")
	if err != nil {
		t.Fatal(err)
	}
	if s.Files != 1 || s.Bytes != 10 {
		t.Errorf("after a delete: %+v", s)
	}
	if _, err := os.Stat(filepath.Join(e.m.Dir("comp", s.Rev), "left4dead2", "addons")); !os.IsNotExist(err) {
		t.Errorf("the directories the delete left empty are still there: %v", err)
	}
	_, err = e.m.ReadFile(ctx, "comp", "addons/sourcemod/plugins/a.smx")
	wantErr(t, err, store.ErrNotFound, "add-on set comp has no file addons/sourcemod/plugins/a.smx")
	_, err = e.m.DeleteFile(ctx, "comp", "nothing/here.cfg")
	wantErr(t, err, store.ErrNotFound, "add-on set comp has no nothing/here.cfg")
	_, err = e.m.ReadFile(ctx, "comp", "cfg")
	wantErr(t, err, store.ErrInvalid, "cfg is a directory in add-on set comp")
	_, err = e.m.PutFile(ctx, "comp", "cfg", strings.NewReader("x"))
	wantErr(t, err, store.ErrInvalid, "cfg is a directory in add-on set comp")
	_, err = e.m.PutFile(ctx, "comp", "cfg/hostname.cfg/x", strings.NewReader("x"))
	wantErr(t, err, store.ErrInvalid, "cfg/hostname.cfg is a file in add-on set comp, not a directory")
	_, err = e.m.PutFile(ctx, "nope", "cfg/a.cfg", strings.NewReader("x"))
	wantErr(t, err, store.ErrNotFound, "add-on set nope does not exist")

	// A whole directory goes at once.
	e.put(t, "comp", "cfg/sub/a.cfg", "a")
	s, err = e.m.DeleteFile(ctx, "comp", "cfg")
	if err != nil {
		t.Fatal(err)
	}
	if s.Files != 0 || s.Bytes != 0 || len(e.tree(t, "comp", s.Rev)) != 0 {
		t.Errorf("after deleting cfg: %+v %v", s, e.tree(t, "comp", s.Rev))
	}
}

func TestBadPathsChangeNothing(t *testing.T) {
	e := newEnv(t, addons.Options{})
	e.create(t, "s")
	before := e.put(t, "s", "cfg/a.cfg", "a")
	for _, tc := range []struct{ path, want string }{
		{"", "is empty"},
		{"/etc/passwd", "is absolute"},
		{"../x", `contains ".."`},
		{"cfg/../../x", `contains ".."`},
		{"./cfg/a.cfg", `contains "."`},
		{"cfg//a.cfg", "has an empty part"},
		{"cfg/", "has an empty part"},
		{`cfg\a.cfg`, "contains a backslash"},
		{"cfg/a\x00.cfg", "contains a control character"},
		{"cfg/\xff.cfg", "is not valid UTF-8"},
		{strings.Repeat("a", 256), "has a name longer than 255 bytes"},
		{strings.Repeat("a/", 33) + "b", "is more than 32 directories deep"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			_, err := e.m.PutFile(ctx, "s", tc.path, strings.NewReader("x"))
			wantErr(t, err, store.ErrInvalid, tc.want)
			_, err = e.m.DeleteFile(ctx, "s", tc.path)
			wantErr(t, err, store.ErrInvalid, tc.want)
			_, err = e.m.ReadFile(ctx, "s", tc.path)
			wantErr(t, err, store.ErrInvalid, tc.want)
		})
	}
	after, err := e.m.Set(ctx, "s")
	if err != nil {
		t.Fatal(err)
	}
	if after.Rev != before.Rev || after.Bytes != before.Bytes {
		t.Errorf("the set changed: %+v, was %+v", after, before)
	}
	revs, _ := os.ReadDir(filepath.Join(e.root, "addons", "s", "revs"))
	if len(revs) != before.Rev {
		t.Errorf("%d revision directories, want %d", len(revs), before.Rev)
	}
	if _, err := os.Stat(filepath.Join(e.root, "addons", "s", "staging")); !os.IsNotExist(err) {
		t.Errorf("a staging directory was left: %v", err)
	}
}

// A server started on a revision keeps seeing it exactly, whatever the
// set becomes: an open file, the directory tree, the file's content.
func TestAnOldRevisionNeverChanges(t *testing.T) {
	e := newEnv(t, addons.Options{})
	e.create(t, "s")
	e.put(t, "s", "cfg/a.cfg", "one")
	old := e.put(t, "s", "cfg/b.cfg", "bee")
	held, err := e.m.ReadFile(ctx, "s", "cfg/a.cfg")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	before := e.tree(t, "s", old.Rev)

	e.put(t, "s", "cfg/a.cfg", "two, longer")
	e.put(t, "s", "cfg/c.cfg", "new")
	if _, err := e.m.DeleteFile(ctx, "s", "cfg/b.cfg"); err != nil {
		t.Fatal(err)
	}
	now, err := e.m.Set(ctx, "s")
	if err != nil {
		t.Fatal(err)
	}
	if got := e.tree(t, "s", old.Rev); !reflect.DeepEqual(got, before) {
		t.Errorf("revision %d changed: %v, was %v", old.Rev, got, before)
	}
	b, err := io.ReadAll(held)
	if err != nil || string(b) != "one" {
		t.Errorf("the file held open reads %q, %v", b, err)
	}
	want := map[string]string{"cfg/a.cfg": "two, longer", "cfg/c.cfg": "new"}
	if got := e.tree(t, "s", now.Rev); !reflect.DeepEqual(got, want) {
		t.Errorf("current revision = %v, want %v", got, want)
	}
}

func TestBlueprintOrderAndResolve(t *testing.T) {
	e := newEnv(t, addons.Options{})
	for _, n := range []string{"base", "comp", "maps"} {
		e.create(t, n)
	}
	e.put(t, "comp", "cfg/x.cfg", "x")
	bp := e.blueprint(t, "versus")
	other := e.blueprint(t, "coop")

	if err := e.m.SetBlueprintSets(ctx, bp, []string{"maps", "base", "comp"}); err != nil {
		t.Fatal(err)
	}
	if err := e.m.SetBlueprintSets(ctx, other, []string{"base"}); err != nil {
		t.Fatal(err)
	}
	got, err := e.m.Resolve(ctx, bp)
	if err != nil {
		t.Fatal(err)
	}
	want := []hostbackend.LayerSet{{Name: "maps", Rev: 1}, {Name: "base", Rev: 1}, {Name: "comp", Rev: 2}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Resolve = %v, want %v", got, want)
	}
	// Moved: the order is the new one.
	if err := e.m.SetBlueprintSets(ctx, bp, []string{"comp", "maps"}); err != nil {
		t.Fatal(err)
	}
	names, err := e.m.BlueprintSets(ctx, bp)
	if err != nil || !reflect.DeepEqual(names, []string{"comp", "maps"}) {
		t.Errorf("BlueprintSets = %v, %v", names, err)
	}
	// A change of a set moves Resolve to its new revision.
	e.put(t, "maps", "addons/m.vpk", "vpk")
	got, _ = e.m.Resolve(ctx, bp)
	if want := []hostbackend.LayerSet{{Name: "comp", Rev: 2}, {Name: "maps", Rev: 2}}; !reflect.DeepEqual(got, want) {
		t.Errorf("Resolve after a change = %v, want %v", got, want)
	}

	// Bad lists change nothing.
	wantErr(t, e.m.SetBlueprintSets(ctx, bp, []string{"comp", "nope"}), store.ErrInvalid, "add-on set nope does not exist")
	wantErr(t, e.m.SetBlueprintSets(ctx, bp, []string{"comp", "comp"}), store.ErrInvalid, "add-on set comp is listed twice")
	wantErr(t, e.m.SetBlueprintSets(ctx, bp, []string{"Comp"}), store.ErrInvalid, "add-on set name")
	wantErr(t, e.m.SetBlueprintSets(ctx, 9999, []string{"comp"}), store.ErrNotFound, "blueprint 9999 does not exist")
	if names, _ := e.m.BlueprintSets(ctx, bp); !reflect.DeepEqual(names, []string{"comp", "maps"}) {
		t.Errorf("a refused list changed it: %v", names)
	}

	// A set a blueprint lists cannot go; the sets say who lists them.
	s, err := e.m.Set(ctx, "base")
	if err != nil || !reflect.DeepEqual(s.UsedBy, []string{"coop"}) {
		t.Errorf("base used by %v, %v", s.UsedBy, err)
	}
	wantErr(t, e.m.DeleteSet(ctx, "maps"), store.ErrConflict, "add-on set maps is used by blueprint versus; take it off that blueprint first")
	if err := e.m.SetBlueprintSets(ctx, other, []string{"maps"}); err != nil {
		t.Fatal(err)
	}
	wantErr(t, e.m.DeleteSet(ctx, "maps"), store.ErrConflict, "used by blueprints coop and versus; take it off those blueprints first")
	// An empty list takes them off; a deleted blueprint takes its list.
	if err := e.m.SetBlueprintSets(ctx, bp, nil); err != nil {
		t.Fatal(err)
	}
	if err := e.db.DeleteBlueprint(ctx, other); err != nil {
		t.Fatal(err)
	}
	if err := e.m.DeleteSet(ctx, "maps"); err != nil {
		t.Errorf("delete after the lists let go: %v", err)
	}
	if got, _ := e.m.Resolve(ctx, bp); len(got) != 0 {
		t.Errorf("Resolve of an empty list = %v", got)
	}
}

func TestGCKeepsCurrentAndInUse(t *testing.T) {
	e := newEnv(t, addons.Options{KeepReplaced: time.Nanosecond})
	e.create(t, "s")
	for i := 0; i < 4; i++ {
		e.put(t, "s", "cfg/a.cfg", strings.Repeat("x", i))
	}
	e.create(t, "gone")
	e.put(t, "gone", "a.txt", "a")
	if err := e.m.DeleteSet(ctx, "gone"); err != nil {
		t.Fatal(err)
	}
	e.create(t, "gone2")
	if err := e.m.DeleteSet(ctx, "gone2"); err != nil {
		t.Fatal(err)
	}
	removed, err := e.m.GC(ctx, []hostbackend.LayerSet{{Name: "s", Rev: 2}, {Name: "gone", Rev: 2}})
	if err != nil {
		t.Fatal(err)
	}
	want := []hostbackend.LayerSet{{Name: "gone", Rev: 1}, {Name: "gone2", Rev: 1}, {Name: "s", Rev: 1}, {Name: "s", Rev: 3}, {Name: "s", Rev: 4}}
	if !reflect.DeepEqual(removed, want) {
		t.Errorf("removed %v, want %v", removed, want)
	}
	for _, l := range []hostbackend.LayerSet{{Name: "s", Rev: 2}, {Name: "s", Rev: 5}, {Name: "gone", Rev: 2}} {
		if _, err := os.Stat(e.m.Dir(l.Name, l.Rev)); err != nil {
			t.Errorf("%v was removed: %v", l, err)
		}
	}
	if _, err := os.Stat(filepath.Join(e.root, "addons", "gone2")); !os.IsNotExist(err) {
		t.Errorf("a deleted set's directory is still there: %v", err)
	}
	if got := e.read(t, "s", "cfg/a.cfg"); got != "xxx" {
		t.Errorf("the current revision reads %q", got)
	}
	// Recreated under the name of a deleted set still in use: it starts
	// above that set's revisions.
	s := e.create(t, "gone")
	if s.Rev != 3 || len(e.tree(t, "gone", 3)) != 0 {
		t.Errorf("recreated set = %+v, %v", s, e.tree(t, "gone", 3))
	}
}

// Two changes of one set at once are made one after the other: both
// land, each on the other's result.
func TestConcurrentChangesOfOneSet(t *testing.T) {
	e := newEnv(t, addons.Options{})
	e.create(t, "s")
	const n = 8
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, err := e.m.PutFile(ctx, "s", "cfg/f"+string(rune('a'+i))+".cfg", bytes.NewReader(bytes.Repeat([]byte{'x'}, i+1)))
			errs <- err
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	s, err := e.m.Set(ctx, "s")
	if err != nil {
		t.Fatal(err)
	}
	if s.Rev != n+1 || s.Files != n || s.Bytes != n*(n+1)/2 {
		t.Errorf("after %d changes at once: %+v", n, s)
	}
	if got := e.tree(t, "s", s.Rev); len(got) != n {
		t.Errorf("current revision holds %d files, want %d: %v", len(got), n, got)
	}
}

func TestCaps(t *testing.T) {
	e := newEnv(t, addons.Options{MaxBytes: 100, MaxFiles: 3})
	e.create(t, "s")
	e.put(t, "s", "a.txt", strings.Repeat("a", 60))
	_, err := e.m.PutFile(ctx, "s", "b.txt", strings.NewReader(strings.Repeat("b", 41)))
	wantErr(t, err, store.ErrInvalid, "b.txt would make add-on set s hold more than 100 bytes (LEFT4ME_ADDON_MAX_BYTES); nothing was changed")
	// Replacing a file counts the new size, not both.
	e.put(t, "s", "a.txt", strings.Repeat("a", 100))
	e.put(t, "s", "a.txt", "a")
	e.put(t, "s", "b.txt", "b")
	e.put(t, "s", "c.txt", "c")
	_, err = e.m.PutFile(ctx, "s", "d.txt", strings.NewReader("d"))
	wantErr(t, err, store.ErrInvalid, "add-on set s would hold more than 3 files")
	s, _ := e.m.Set(ctx, "s")
	if s.Files != 3 || s.Bytes != 3 {
		t.Errorf("set = %+v", s)
	}
}

func TestTextRule(t *testing.T) {
	for _, tc := range []struct {
		path string
		size int64
		want bool
	}{
		{"cfg/server.cfg", 10, true},
		{"addons/sourcemod/configs/admins_simple.ini", 10, true},
		{"README.TXT", 10, true},
		{"cfg/big.cfg", addons.MaxTextBytes + 1, false},
		{"addons/x.vpk", 10, false},
		{"addons/sourcemod/plugins/x.smx", 10, false},
	} {
		if got := addons.Editable(tc.path, tc.size); got != tc.want {
			t.Errorf("Editable(%q, %d) = %v", tc.path, tc.size, got)
		}
	}
	if err := addons.CheckText("cfg/a.cfg", []byte("sv_cheats 0\n// é\n")); err != nil {
		t.Errorf("plain text refused: %v", err)
	}
	wantErr(t, addons.CheckText("cfg/a.cfg", []byte("a\x00b")), store.ErrInvalid, "is not plain UTF-8 text")
	wantErr(t, addons.CheckText("cfg/a.cfg", []byte("\xff\xfe")), store.ErrInvalid, "is not plain UTF-8 text")
	wantErr(t, addons.CheckText("x.vpk", []byte("a")), store.ErrInvalid, "is not a text file the panel edits")
	wantErr(t, addons.CheckText("a.cfg", make([]byte, addons.MaxTextBytes+1)), store.ErrInvalid, "at most 1 MiB")
}

// What a crash leaves (a staging tree, a revision whose row was never
// swapped) is no revision: the next change goes past it, GC removes it.
func TestCrashLeftoversAreSkippedAndCollected(t *testing.T) {
	e := newEnv(t, addons.Options{KeepReplaced: time.Nanosecond})
	e.create(t, "s")
	e.put(t, "s", "a.txt", "a")
	setDir := filepath.Join(e.root, "addons", "s")
	for _, d := range []string{"staging/left4dead2/junk", "revs/3/left4dead2/half", "gc-1/left4dead2"} {
		if err := os.MkdirAll(filepath.Join(setDir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	s := e.put(t, "s", "b.txt", "b")
	if s.Rev != 4 {
		t.Errorf("the change after a crash made revision %d, want 4 (past the orphan 3)", s.Rev)
	}
	if want := map[string]string{"a.txt": "a", "b.txt": "b"}; !reflect.DeepEqual(e.tree(t, "s", 4), want) {
		t.Errorf("revision 4 = %v, want %v", e.tree(t, "s", 4), want)
	}
	removed, err := e.m.GC(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := []hostbackend.LayerSet{{Name: "s", Rev: 1}, {Name: "s", Rev: 2}, {Name: "s", Rev: 3}}; !reflect.DeepEqual(removed, want) {
		t.Errorf("GC removed %v, want %v", removed, want)
	}
	ents, _ := os.ReadDir(setDir)
	if len(ents) != 1 || ents[0].Name() != "revs" {
		t.Errorf("left in the set's directory: %v", ents)
	}
}

// cancelAfter cancels its context once n bytes were read through it.
type cancelAfter struct {
	r      io.Reader
	n      int
	cancel func()
}

func (c *cancelAfter) Read(p []byte) (int, error) {
	if c.n <= 0 {
		c.cancel()
	}
	k, err := c.r.Read(p[:min(len(p), 4096)])
	c.n -= k
	return k, err
}

// A change whose request goes away half way changes nothing.
func TestACancelledChangeChangesNothing(t *testing.T) {
	e := newEnv(t, addons.Options{})
	e.create(t, "s")
	before := e.put(t, "s", "a.txt", "a")
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	body := &cancelAfter{r: bytes.NewReader(make([]byte, 1<<20)), n: 64 << 10, cancel: cancel}
	if _, err := e.m.PutFile(cctx, "s", "big.vpk", body); !errors.Is(err, context.Canceled) {
		t.Fatalf("a cancelled put: %v", err)
	}
	after, _ := e.m.Set(ctx, "s")
	if after.Rev != before.Rev || len(e.tree(t, "s", after.Rev)) != 1 {
		t.Errorf("a cancelled put changed the set: %+v", after)
	}
}

// A change costs links, not copies: what it leaves alone is the same
// file (inode) in both revisions.
func TestAChangeSharesWhatItLeavesAlone(t *testing.T) {
	e := newEnv(t, addons.Options{})
	e.create(t, "s")
	old := e.put(t, "s", "addons/big.vpk", strings.Repeat("v", 4096))
	now := e.put(t, "s", "cfg/a.cfg", "a")
	a, err := os.Stat(filepath.Join(e.m.Dir("s", old.Rev), "left4dead2", "addons", "big.vpk"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.Stat(filepath.Join(e.m.Dir("s", now.Rev), "left4dead2", "addons", "big.vpk"))
	if err != nil {
		t.Fatal(err)
	}
	if !os.SameFile(a, b) {
		t.Errorf("the unchanged file was copied, not linked")
	}
}

// A named pipe planted in a set (the panel never makes one) is no file
// to read, and opening it does not wait for a writer.
func TestAPlantedPipeIsNoFile(t *testing.T) {
	e := newEnv(t, addons.Options{})
	e.create(t, "s")
	s := e.put(t, "s", "cfg/a.cfg", "a")
	if err := syscall.Mkfifo(filepath.Join(e.m.Dir("s", s.Rev), "left4dead2", "cfg", "pipe.cfg"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := e.m.ReadFile(ctx, "s", "cfg/pipe.cfg")
	wantErr(t, err, store.ErrNotFound, "add-on set s has no file cfg/pipe.cfg")
	files, err := e.m.Files(ctx, "s")
	if err != nil || len(files) != 1 {
		t.Errorf("files = %v, %v", files, err)
	}
	// Nor is it carried into the next revision.
	s = e.put(t, "s", "cfg/b.cfg", "b")
	if _, err := os.Lstat(filepath.Join(e.m.Dir("s", s.Rev), "left4dead2", "cfg", "pipe.cfg")); !os.IsNotExist(err) {
		t.Errorf("the pipe was carried over: %v", err)
	}
}

// A start may resolve a revision just before a change replaces it and
// record it only once its server runs: GC keeps a replaced revision for
// KeepReplaced whatever the in-use list says, and a deleted set's too.
func TestGCKeepsWhatWasJustReplaced(t *testing.T) {
	e := newEnv(t, addons.Options{})
	e.create(t, "s")
	e.put(t, "s", "a.txt", "a")
	e.create(t, "gone")
	if err := e.m.DeleteSet(ctx, "gone"); err != nil {
		t.Fatal(err)
	}
	if removed, err := e.m.GC(ctx, nil); err != nil || len(removed) != 0 {
		t.Fatalf("GC right after the changes removed %v, %v", removed, err)
	}
	// Ten minutes on (the times GC reads, set back).
	old := time.Now().Add(-addons.DefaultKeepReplaced - time.Minute)
	for _, p := range []string{e.m.Dir("s", 2), filepath.Join(e.root, "addons", "gone", "deleted")} {
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
	}
	removed, err := e.m.GC(ctx, nil)
	if want := []hostbackend.LayerSet{{Name: "gone", Rev: 1}, {Name: "s", Rev: 1}}; err != nil || !reflect.DeepEqual(removed, want) {
		t.Errorf("GC later removed %v, %v; want %v", removed, err, want)
	}
}

// Changes, reads and GC of one set at once: every change lands, every
// read sees a whole revision, GC takes nothing a reader or the set needs.
func TestChangesReadsAndGCAtOnce(t *testing.T) {
	e := newEnv(t, addons.Options{})
	e.create(t, "s")
	const writers, puts = 4, 6
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	stop := make(chan struct{})
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < puts; i++ {
				p := "cfg/w" + string(rune('a'+w)) + ".cfg"
				if _, err := e.m.PutFile(ctx, "s", p, strings.NewReader(strings.Repeat("x", i+1))); err != nil {
					errs <- err
					return
				}
			}
		}(w)
	}
	var readers sync.WaitGroup
	for r := 0; r < 2; r++ {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				files, err := e.m.Files(ctx, "s")
				if err != nil {
					errs <- err
					return
				}
				for _, f := range files {
					rf, err := e.m.ReadFile(ctx, "s", f.Path) // files are only added
					if err != nil {
						errs <- err
						return
					}
					rf.Close()
				}
				if _, err := e.m.GC(ctx, nil); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	readers.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	s, err := e.m.Set(ctx, "s")
	if err != nil {
		t.Fatal(err)
	}
	if s.Rev != 1+writers*puts || s.Files != writers || s.Bytes != writers*puts {
		t.Errorf("after %d changes: %+v", writers*puts, s)
	}
}
