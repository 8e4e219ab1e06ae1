package addons

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mattn/go-sqlite3"
	"github.com/uptrace/bun"

	"github.com/left4me/left4me/hostbackend"
	"github.com/left4me/left4me/store"
)

// Defaults of Options.
const (
	// DefaultMaxBytes is how much one set may hold (LEFT4ME_ADDON_MAX_BYTES).
	DefaultMaxBytes = 2 << 30
	// DefaultMaxFiles is how many files one set may hold.
	DefaultMaxFiles = 20000
	// DefaultMaxRatio is how many times its compressed size an archive's
	// entry may expand to (beyond ratioSlack).
	DefaultMaxRatio = 200
	// DefaultKeepReplaced is how long GC keeps a revision after it was
	// replaced.
	DefaultKeepReplaced = 10 * time.Minute
)

// ratioSlack is what any archive entry may expand to whatever its
// compressed size: a few bytes of deflate can be a config of repeated
// lines.
const ratioSlack = 64 << 10

// Options configure a Manager.
type Options struct {
	// Root is the state root (LEFT4ME_STATE_ROOT); sets live in Root/addons.
	Root string
	// MaxBytes caps the bytes of a set after a change (default DefaultMaxBytes).
	MaxBytes int64
	// MaxFiles caps the files of a set after a change (default DefaultMaxFiles).
	MaxFiles int
	// MaxRatio caps how many times its compressed size an archive entry
	// may expand to (default DefaultMaxRatio).
	MaxRatio int64
	// KeepReplaced is how long GC keeps a revision after a change (or the
	// set's deletion) replaced it, whatever its in-use list says: a start
	// may have resolved it just before and not yet recorded it (default
	// DefaultKeepReplaced).
	KeepReplaced time.Duration
}

// Manager keeps the add-on sets: their rows in the database and their
// revisions under Root/addons. It is safe for concurrent use; changes
// to one set are serialized. One process changes sets (the panel, which
// holds store.LockPanel).
type Manager struct {
	db   *store.DB
	dir  string // Root/addons
	opts Options

	mu    sync.Mutex
	locks map[string]*setLock

	// noSync skips every fsync: only the fuzz test sets it (through
	// export_test.go), to try thousands of archives a minute.
	noSync bool
}

type setLock struct {
	mu    sync.Mutex
	users int
}

// New returns the Manager of the sets in db and under opts.Root. It
// makes Root/addons if it is missing.
func New(db *store.DB, opts Options) (*Manager, error) {
	if opts.Root == "" {
		return nil, errors.New("add-on sets: a state root is required")
	}
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultMaxBytes
	}
	if opts.MaxFiles <= 0 {
		opts.MaxFiles = DefaultMaxFiles
	}
	if opts.MaxRatio <= 0 {
		opts.MaxRatio = DefaultMaxRatio
	}
	if opts.KeepReplaced <= 0 {
		opts.KeepReplaced = DefaultKeepReplaced
	}
	dir := filepath.Join(opts.Root, "addons")
	if err := os.MkdirAll(dir, dirMode); err != nil {
		return nil, fmt.Errorf("add-on sets: %w", err)
	}
	return &Manager{db: db, dir: dir, opts: opts, locks: map[string]*setLock{}}, nil
}

// lock takes the lock of the set name; the function returned gives it back.
func (m *Manager) lock(name string) func() {
	m.mu.Lock()
	l := m.locks[name]
	if l == nil {
		l = &setLock{}
		m.locks[name] = l
	}
	l.users++
	m.mu.Unlock()
	l.mu.Lock()
	return func() {
		l.mu.Unlock()
		m.mu.Lock()
		if l.users--; l.users == 0 {
			delete(m.locks, name)
		}
		m.mu.Unlock()
	}
}

// Set is an add-on set at its current revision.
type Set struct {
	ID        int64
	Name      string
	Rev       int   // the current revision, 1 or more
	Bytes     int64 // the size of its files
	Files     int   // how many files it holds
	CreatedAt time.Time
	UpdatedAt time.Time
	UsedBy    []string // the blueprints listing it, by name
}

// File is one file of a set.
type File struct {
	Path  string // relative to left4dead2/, e.g. cfg/hostname.cfg
	Bytes int64
}

// Dir returns the directory of revision rev of set name: the layer an
// overlay stacks (it holds left4dead2/).
func (m *Manager) Dir(name string, rev int) string {
	return filepath.Join(m.dir, name, "revs", strconv.Itoa(rev))
}

func invalid(format string, a ...any) error {
	return &store.Error{Kind: store.ErrInvalid, Msg: fmt.Sprintf(format, a...)}
}

func notFound(format string, a ...any) error {
	return &store.Error{Kind: store.ErrNotFound, Msg: fmt.Sprintf(format, a...)}
}

func conflict(format string, a ...any) error {
	return &store.Error{Kind: store.ErrConflict, Msg: fmt.Sprintf(format, a...)}
}

// checkName checks a set's name by the instance-name rule.
func checkName(name string) error {
	if err := hostbackend.ValidateName(name); err != nil {
		msg := strings.TrimPrefix(err.Error(), hostbackend.ErrInvalidName.Error()+": ")
		return invalid("add-on set name: %s", msg)
	}
	return nil
}

// setRow is a row of addon_sets.
type setRow struct {
	bun.BaseModel `bun:"table:addon_sets"`

	ID        int64      `bun:"id,pk,autoincrement"`
	Name      string     `bun:"name,notnull"`
	Rev       int        `bun:"rev,notnull"`
	Bytes     int64      `bun:"bytes,notnull"`
	Files     int        `bun:"files,notnull"`
	CreatedAt store.Time `bun:"created_at,notnull"`
	UpdatedAt store.Time `bun:"updated_at,notnull"`
}

func (r *setRow) set() Set {
	return Set{ID: r.ID, Name: r.Name, Rev: r.Rev, Bytes: r.Bytes, Files: r.Files,
		CreatedAt: r.CreatedAt.Time, UpdatedAt: r.UpdatedAt.Time}
}

// row reads the row of set name, or an ErrNotFound sentence.
func (m *Manager) row(ctx context.Context, q bun.IDB, name string) (*setRow, error) {
	if checkName(name) != nil {
		return nil, notFound("add-on set %q does not exist", name)
	}
	r := new(setRow)
	err := q.NewSelect().Model(r).Where("name = ?", name).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("add-on set %s does not exist", name)
	}
	if err != nil {
		return nil, fmt.Errorf("read add-on set %s: %w", name, err)
	}
	return r, nil
}

// usedBy returns the names of the blueprints listing each set, by set id.
func (m *Manager) usedBy(ctx context.Context, q bun.IDB, setID int64) (map[int64][]string, error) {
	var rows []struct {
		SetID int64  `bun:"set_id"`
		Name  string `bun:"name"`
	}
	query := q.NewRaw(`SELECT bas.set_id, b.name FROM blueprint_addon_sets bas
		JOIN blueprints b ON b.id = bas.blueprint_id ORDER BY b.name`)
	if setID != 0 {
		query = q.NewRaw(`SELECT bas.set_id, b.name FROM blueprint_addon_sets bas
		JOIN blueprints b ON b.id = bas.blueprint_id WHERE bas.set_id = ? ORDER BY b.name`, setID)
	}
	if err := query.Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("read blueprints of add-on sets: %w", err)
	}
	by := map[int64][]string{}
	for _, r := range rows {
		by[r.SetID] = append(by[r.SetID], r.Name)
	}
	return by, nil
}

// Sets returns every set, by name.
func (m *Manager) Sets(ctx context.Context) ([]Set, error) {
	var rows []setRow
	if err := m.db.Reader().NewSelect().Model(&rows).Order("name").Scan(ctx); err != nil {
		return nil, fmt.Errorf("list add-on sets: %w", err)
	}
	by, err := m.usedBy(ctx, m.db.Reader(), 0)
	if err != nil {
		return nil, err
	}
	sets := make([]Set, len(rows))
	for i := range rows {
		sets[i] = rows[i].set()
		sets[i].UsedBy = by[rows[i].ID]
	}
	return sets, nil
}

// Set returns the set name, or an error matching store.ErrNotFound.
func (m *Manager) Set(ctx context.Context, name string) (Set, error) {
	r, err := m.row(ctx, m.db.Reader(), name)
	if err != nil {
		return Set{}, err
	}
	by, err := m.usedBy(ctx, m.db.Reader(), r.ID)
	if err != nil {
		return Set{}, err
	}
	s := r.set()
	s.UsedBy = by[r.ID]
	return s, nil
}

// CreateSet makes an empty set. Errors match store.ErrInvalid (a name
// breaking the rule) or store.ErrConflict (a set of that name exists).
func (m *Manager) CreateSet(ctx context.Context, name string) (Set, error) {
	if err := checkName(name); err != nil {
		return Set{}, err
	}
	defer m.lock(name)()
	if _, err := m.row(ctx, m.db.Reader(), name); err == nil {
		return Set{}, conflict("an add-on set named %s already exists", name)
	} else if !errors.Is(err, store.ErrNotFound) {
		return Set{}, err
	}
	// A set deleted under this name may have left revisions that a
	// running server still has mounted: start above them.
	rev, err := m.nextRev(name, 0)
	if err != nil {
		return Set{}, err
	}
	dir := m.Dir(name, rev)
	if err := os.MkdirAll(filepath.Join(dir, "left4dead2"), dirMode); err != nil {
		return Set{}, fmt.Errorf("create add-on set %s: %w", name, err)
	}
	for _, d := range []string{dir, filepath.Dir(dir), filepath.Join(m.dir, name), m.dir} {
		if err := m.syncPath(d); err != nil {
			os.RemoveAll(dir)
			return Set{}, fmt.Errorf("create add-on set %s: %w", name, err)
		}
	}
	now := store.NewTime(m.db.Now())
	r := &setRow{Name: name, Rev: rev, CreatedAt: now, UpdatedAt: now}
	if _, err := m.db.Writer().NewInsert().Model(r).Returning("id").Exec(ctx); err != nil {
		os.RemoveAll(dir)
		if isUniqueViolation(err) {
			return Set{}, conflict("an add-on set named %s already exists", name)
		}
		return Set{}, fmt.Errorf("create add-on set %s: %w", name, err)
	}
	return r.set(), nil
}

// DeleteSet removes the set name. It is refused (store.ErrConflict,
// naming them) while a blueprint lists it. Its revisions stay on disk
// until GC finds them unused: a running server may still have one.
func (m *Manager) DeleteSet(ctx context.Context, name string) error {
	defer m.lock(name)()
	if checkName(name) == nil {
		// When the set's last revision was replaced, for GC; written
		// first, so a deleted set always has it (a set not deleted
		// after all ignores it).
		if err := os.WriteFile(filepath.Join(m.dir, name, deletedMarker), nil, fileMode); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("delete add-on set %s: %w", name, err)
		}
		now := time.Now()
		os.Chtimes(filepath.Join(m.dir, name, deletedMarker), now, now)
	}
	return m.db.WriteTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		r, err := m.row(ctx, tx, name)
		if err != nil {
			return err
		}
		by, err := m.usedBy(ctx, tx, r.ID)
		if err != nil {
			return err
		}
		if users := by[r.ID]; len(users) > 0 {
			return conflict("add-on set %s is used by %s; take it off %s first", name, listOf("blueprint", users), them(users))
		}
		if _, err := tx.NewDelete().Model((*setRow)(nil)).Where("id = ?", r.ID).Exec(ctx); err != nil {
			return fmt.Errorf("delete add-on set %s: %w", name, err)
		}
		return nil
	})
}

// isUniqueViolation reports whether err is SQLite's UNIQUE constraint error.
func isUniqueViolation(err error) bool {
	var se sqlite3.Error
	return errors.As(err, &se) && se.ExtendedCode == sqlite3.ErrConstraintUnique
}

// deletedMarker is the file in a deleted set's directory whose time is
// when it was deleted.
const deletedMarker = "deleted"

// listOf is "blueprint a", "blueprints a and b" or "blueprints a, b and c".
func listOf(noun string, names []string) string {
	switch len(names) {
	case 1:
		return noun + " " + names[0]
	default:
		return noun + "s " + strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
	}
}

// them is "that blueprint" or "those blueprints".
func them(names []string) string {
	if len(names) == 1 {
		return "that blueprint"
	}
	return "those blueprints"
}

// revs lists the revisions of set name on disk, ascending.
func (m *Manager) revs(name string) ([]int, error) {
	ents, err := os.ReadDir(filepath.Join(m.dir, name, "revs"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var revs []int
	for _, e := range ents {
		if n, err := strconv.Atoi(e.Name()); err == nil && n > 0 && strconv.Itoa(n) == e.Name() {
			revs = append(revs, n)
		}
	}
	sort.Ints(revs)
	return revs, nil
}

// nextRev is the revision a new one of set name gets: above current and
// above every revision on disk (one left by a crash before its row was
// written, or by a deleted set of the same name).
func (m *Manager) nextRev(name string, current int) (int, error) {
	revs, err := m.revs(name)
	if err != nil {
		return 0, err
	}
	next := current + 1
	if len(revs) > 0 && revs[len(revs)-1] >= next {
		next = revs[len(revs)-1] + 1
	}
	return next, nil
}
