package bytesize_test

import (
	"errors"
	"testing"

	"github.com/left4me/left4me/internal/bytesize"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in      string
		want    int64
		wantErr bool
	}{
		{"16106127360", 16106127360, false},
		{"15GiB", 15 << 30, false},
		{"15 GiB", 15 << 30, false},
		{"15g", 15 << 30, false},
		{"1.5TiB", 3 << 39, false},
		{"500MB", 500_000_000, false},
		{"20 GB", 20_000_000_000, false},
		{"64k", 64 << 10, false},
		{" 7 b ", 7, false},
		{"0", 0, false},
		{"", 0, true},
		{"GiB", 0, true},
		{"15 gigs", 0, true},
		{"-1GiB", 0, true},
		{"1e3", 0, true},
		{"1.2.3", 0, true},
		{"99999999999 TiB", 0, true},
	}
	for _, tt := range tests {
		got, err := bytesize.Parse(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("Parse(%q) = %d, %v; want %d, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
	if _, err := bytesize.Parse("lots"); !errors.Is(err, bytesize.ErrSyntax) {
		t.Errorf("Parse(lots) = %v, want ErrSyntax", err)
	}
}

func TestFormat(t *testing.T) {
	tests := []struct {
		in   int64
		want string
	}{
		{0, "0 bytes"},
		{1023, "1023 bytes"},
		{1024, "1.0 KiB"},
		{10_912_614_400, "10.2 GiB"},
		{15 << 30, "15.0 GiB"},
		{3 << 39, "1.5 TiB"},
		{-2048, "-2.0 KiB"},
	}
	for _, tt := range tests {
		if got := bytesize.Format(tt.in); got != tt.want {
			t.Errorf("Format(%d) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
