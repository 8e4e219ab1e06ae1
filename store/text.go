package store

import "strings"

// sqlSafe reports whether s can be a value in a statement. bun writes
// values into the SQL text, and go-sqlite3 hands that text to SQLite as a
// C string, which ends at the first NUL: a statement with one fails. The
// writes refuse such values with text.Check's sentences; a lookup by such
// a value finds nothing without asking.
func sqlSafe(s string) bool { return !strings.ContainsRune(s, 0) }
