package store

import (
	"database/sql/driver"
	"fmt"
	"time"
)

// Time is an instant stored as INTEGER unix milliseconds. The zero Time
// is stored as NULL and NULL reads back as the zero Time. Times read back
// are in UTC.
type Time struct{ time.Time }

// NewTime returns t truncated to the millisecond, in UTC.
func NewTime(t time.Time) Time {
	if t.IsZero() {
		return Time{}
	}
	return Time{time.UnixMilli(t.UnixMilli()).UTC()}
}

// Value implements driver.Valuer.
func (t Time) Value() (driver.Value, error) {
	if t.IsZero() {
		return nil, nil
	}
	return t.UnixMilli(), nil
}

// Scan implements sql.Scanner.
func (t *Time) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		t.Time = time.Time{}
	case int64:
		t.Time = time.UnixMilli(v).UTC()
	default:
		return fmt.Errorf("store.Time: cannot scan %T", src)
	}
	return nil
}
