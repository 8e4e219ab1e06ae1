package app

import (
	"testing"
	"time"
)

func TestLimiterSlidesPerKey(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := newLimiter(3, time.Minute, func() time.Time { return now })
	for i := 0; i < 3; i++ {
		if !l.allow("ip:a", "user:bob") {
			t.Fatalf("attempt %d refused", i+1)
		}
		now = now.Add(10 * time.Second)
	}
	if l.allow("ip:b", "user:bob") {
		t.Fatal("a fourth attempt on user bob from another address was allowed")
	}
	if l.allow("ip:a", "user:carol") {
		t.Fatal("a fourth attempt from address a on another user was allowed")
	}
	if !l.allow("ip:b", "user:carol") {
		t.Fatal("an unrelated client and user were refused")
	}
	now = now.Add(31 * time.Second) // the first attempt left the window
	if !l.allow("ip:a", "user:bob") {
		t.Fatal("the window did not slide")
	}
	if l.allow("ip:a", "user:bob") {
		t.Fatal("the window slid too far")
	}
}
