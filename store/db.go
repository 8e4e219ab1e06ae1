// Package store is left4me's storage: bun models over one SQLite database
// file, the embedded migrations that create it, and the reads and writes
// the web handlers need. The job queue's own statements live in package
// jobs, on the same connections.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/mattn/go-sqlite3"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/sqlitedialect"
)

// DB is an open left4me database: one writer connection, through which
// every write goes, and a pool of read-only connections. It is safe for
// concurrent use.
type DB struct {
	path   string
	writer *bun.DB
	reader *bun.DB
	now    func() time.Time
	// changes counts the statements and commits the writer finished; see
	// Changes.
	changes atomic.Uint64
}

// Options tunes Open. The zero value is what production uses.
type Options struct {
	// Readers is the size of the read-only pool (default 4).
	Readers int
	// BusyTimeout is how long a statement waits for another process's
	// lock before failing (default 5s).
	BusyTimeout time.Duration
	// Now is the clock for created_at and similar stamps (default time.Now).
	Now func() time.Time
}

// Open opens (creating if needed) the database file at path, applies the
// pending migrations and returns the database. path must be a file: the
// writer and the readers are separate connections to it.
func Open(ctx context.Context, path string) (*DB, error) {
	return OpenWith(ctx, path, Options{})
}

// OpenWith is Open with options.
func OpenWith(ctx context.Context, path string, opts Options) (*DB, error) {
	if path == "" || path == ":memory:" || strings.HasPrefix(path, "file:") {
		return nil, errors.New("open database: a plain file path is required")
	}
	if strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("open database %s: the path may not contain '?' or '#'", path)
	}
	if opts.Readers <= 0 {
		opts.Readers = 4
	}
	if opts.BusyTimeout <= 0 {
		opts.BusyTimeout = 5 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}

	wsql, err := sql.Open("sqlite3", dsn(path, opts.BusyTimeout, false))
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	// One writer connection: writes queue in database/sql instead of
	// fighting over SQLite's lock, and BEGIN IMMEDIATE (from _txlock) takes
	// the lock up front so a transaction never fails half way with BUSY.
	wsql.SetMaxOpenConns(1)
	wsql.SetMaxIdleConns(1)
	wsql.SetConnMaxLifetime(0)
	wsql.SetConnMaxIdleTime(0)

	rsql, err := sql.Open("sqlite3", dsn(path, opts.BusyTimeout, true))
	if err != nil {
		wsql.Close()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	rsql.SetMaxOpenConns(opts.Readers)
	rsql.SetMaxIdleConns(opts.Readers)

	db := &DB{
		path:   path,
		writer: bun.NewDB(wsql, sqlitedialect.New()),
		reader: bun.NewDB(rsql, sqlitedialect.New()),
		now:    opts.Now,
	}
	// Every statement on the writer, in a transaction or not, and every
	// COMMIT passes this hook once it has finished: the one place all of
	// this handle's writes pass, whoever issues them (store, jobs).
	db.writer.AddQueryHook(changeHook{&db.changes})
	// The writer opens the file first so that WAL mode is set before any
	// reader connects.
	if err := wsql.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	if err := db.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// dsn builds the go-sqlite3 connection string. The parameter names are
// go-sqlite3's (see its SQLiteDriver.Open); each becomes a PRAGMA run on
// every new connection.
func dsn(path string, busy time.Duration, readOnly bool) string {
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	// FULL: a commit is on disk when it returns, even across power loss.
	q.Set("_synchronous", "FULL")
	q.Set("_busy_timeout", fmt.Sprint(busy.Milliseconds()))
	q.Set("_foreign_keys", "on")
	if readOnly {
		q.Set("_query_only", "on")
	} else {
		q.Set("_txlock", "immediate")
	}
	return path + "?" + q.Encode()
}

// Path returns the database file's path.
func (db *DB) Path() string { return db.path }

// Writer returns the single writer connection. Use it (or WriteTx) for
// every statement that changes data; never hold one of its transactions
// while calling something that also writes, or it waits for itself.
func (db *DB) Writer() *bun.DB { return db.writer }

// Reader returns the read-only pool. It sees every committed write.
func (db *DB) Reader() *bun.DB { return db.reader }

// Now returns the store's clock reading, in UTC.
func (db *DB) Now() time.Time { return db.now().UTC() }

// WriteTx runs fn in a writing transaction (BEGIN IMMEDIATE on the writer
// connection) and commits it if fn returns nil, rolls it back otherwise.
func (db *DB) WriteTx(ctx context.Context, fn func(ctx context.Context, tx bun.Tx) error) error {
	return db.writer.RunInTx(ctx, nil, fn)
}

// Changes returns a counter that has grown by the time any write through
// this DB (a statement on the writer or the COMMIT of a WriteTx) has
// returned, so it is already visible to readers when the counter moves.
// A cache that reads Changes before it loads and reloads when the value
// differs never misses this process's writes. It also moves for writer
// statements that changed nothing (a rolled-back transaction, a read on
// the writer): a spare reload, never a stale one. Writes by other
// processes do not move it.
func (db *DB) Changes() uint64 { return db.changes.Load() }

// changeHook bumps the change counter after every query on the writer.
type changeHook struct{ n *atomic.Uint64 }

func (changeHook) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context { return ctx }
func (h changeHook) AfterQuery(context.Context, *bun.QueryEvent)                      { h.n.Add(1) }

// Close closes both pools.
func (db *DB) Close() error {
	return errors.Join(db.reader.Close(), db.writer.Close())
}

// isUniqueViolation reports whether err is SQLite's UNIQUE constraint error.
func isUniqueViolation(err error) bool {
	var se sqlite3.Error
	return errors.As(err, &se) && se.ExtendedCode == sqlite3.ErrConstraintUnique
}
