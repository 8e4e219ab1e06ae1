// Package bytesize reads and writes amounts of bytes for people: "15 GiB",
// "500MB", "10.2 GiB".
package bytesize

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// units are the suffixes Parse understands, lower case. K, M, G and T
// alone are powers of 1024, as in systemd's settings; kB, MB, GB and TB
// powers of 1000.
var units = map[string]float64{
	"": 1, "b": 1,
	"k": 1 << 10, "kib": 1 << 10, "kb": 1e3,
	"m": 1 << 20, "mib": 1 << 20, "mb": 1e6,
	"g": 1 << 30, "gib": 1 << 30, "gb": 1e9,
	"t": 1 << 40, "tib": 1 << 40, "tb": 1e12,
}

// ErrSyntax is returned by Parse for text that is not an amount of bytes.
var ErrSyntax = errors.New("not an amount of bytes (e.g. 15GiB, 500MB or 16106127360)")

// Parse reads a number of bytes with an optional unit: "16106127360",
// "15GiB", "15 G", "1.5TiB", "500MB". Case does not matter. It returns
// ErrSyntax for anything else, and an error for a negative amount or one
// too large for an int64.
func Parse(s string) (int64, error) {
	s = strings.TrimSpace(s)
	i := strings.IndexFunc(s, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	if i < 0 {
		i = len(s)
	}
	num, unit := s[:i], strings.ToLower(strings.TrimSpace(s[i:]))
	mult, ok := units[unit]
	if num == "" || !ok {
		return 0, ErrSyntax
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0, ErrSyntax
	}
	n := math.Round(f * mult)
	if n >= math.MaxInt64 {
		return 0, fmt.Errorf("%s is more bytes than this program can count", s)
	}
	return int64(n), nil
}

// Format writes n bytes for people, in powers of 1024 with one decimal:
// "512 bytes", "3.2 GiB".
func Format(n int64) string {
	const unit = 1024
	if n < unit && n > -unit {
		return strconv.FormatInt(n, 10) + " bytes"
	}
	f, exp := float64(n)/unit, 0
	for math.Abs(f) >= unit && exp < 4 {
		f /= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", f, "KMGTP"[exp])
}
