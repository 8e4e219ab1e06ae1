package sudo

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/left4me/left4me/hostbackend"
)

// readJournal returns every line Journal delivers for name.
func readJournal(t *testing.T, h *stubHost, name string) []hostbackend.Line {
	t.Helper()
	var got []hostbackend.Line
	if err := h.backend.Journal(context.Background(), name, 100, false, func(l hostbackend.Line) { got = append(got, l) }); err != nil {
		t.Fatalf("Journal: %v", err)
	}
	return got
}

func TestJournalLinesCarryTheEntrysTime(t *testing.T) {
	h := newStubHost(t)
	at := time.Date(2026, 11, 30, 9, 21, 8, 123456000, time.UTC)
	h.appendJournalRaw(t, "coop-1", []string{
		journalJSON(t, at, "fakesrcds: listening on udp/tcp 27015"),
		journalJSON(t, at.Add(time.Second), `a "quoted" line with a tab	and ünïcode`),
		journalJSON(t, at.Add(2*time.Second), "two lines\r\nin one entry"),
		journalJSON(t, at.Add(3*time.Second), ""),
	})
	got := readJournal(t, h, "coop-1")
	want := []hostbackend.Line{
		{Text: "fakesrcds: listening on udp/tcp 27015", Time: at},
		{Text: `a "quoted" line with a tab	and ünïcode`, Time: at.Add(time.Second)},
		{Text: "two lines", Time: at.Add(2 * time.Second)},
		{Text: "in one entry", Time: at.Add(2 * time.Second)},
		{Text: "", Time: at.Add(3 * time.Second)},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Journal lines:\n got %q\nwant %q", got, want)
	}
}

func TestJournalMessagesThatAreNotPlainStrings(t *testing.T) {
	h := newStubHost(t)
	const stamp = `"__REALTIME_TIMESTAMP":"1796030468000000"`
	at := time.UnixMicro(1796030468000000).UTC()
	h.appendJournalRaw(t, "odd", []string{
		// Not valid UTF-8: journalctl writes the bytes as numbers.
		`{` + stamp + `,"MESSAGE":[104,105,255]}`,
		// A field given twice: an array of its values.
		`{` + stamp + `,"MESSAGE":["first",[111,107]]}`,
		// No MESSAGE at all: -o cat printed nothing for it either.
		`{"__CURSOR":"s=1",` + stamp + `}`,
		`{` + stamp + `,"MESSAGE":null}`,
	})
	got := readJournal(t, h, "odd")
	want := []hostbackend.Line{
		{Text: "hi\xff", Time: at},
		{Text: "first", Time: at},
		{Text: "ok", Time: at},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Journal lines:\n got %q\nwant %q", got, want)
	}
}

func TestJournalLinesWithoutAStampComeThroughWhole(t *testing.T) {
	h := newStubHost(t)
	at := time.Date(2026, 11, 30, 9, 21, 8, 0, time.UTC)
	truncated := journalJSON(t, at, strings.Repeat("x", MaxLineLen))
	odd := []string{
		"-- No entries --",
		"plain text from an older helper",
		`{"MESSAGE":"an entry without its time"}`,
		`{"__REALTIME_TIMESTAMP":"soon","MESSAGE":"a time that is no number"}`,
		`{"__REALTIME_TIMESTAMP":"1796030468000000","MESSAGE":{"an":"object"}}`,
		`{"__REALTIME_TIMESTAMP":"1796030468000000","MESSAGE":[300]}`,
		`{"__REALTIME_TIMESTAMP":"1796030468000000","MESSAGE":"cut`,
		"",
	}
	h.appendJournalRaw(t, "odd", append(append([]string{journalJSON(t, at, "before")}, odd...), truncated, journalJSON(t, at, "after")))
	got := readJournal(t, h, "odd")
	want := []hostbackend.Line{{Text: "before", Time: at}}
	for _, o := range odd {
		want = append(want, hostbackend.Line{Text: o})
	}
	want = append(want, hostbackend.Line{Text: truncated[:MaxLineLen] + truncatedMark}, hostbackend.Line{Text: "after", Time: at})
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Journal lines:\n got %.300q\nwant %.300q", got, want)
	}
}

func TestJournalStderrIsJournalctlsOwn(t *testing.T) {
	h := newStubHost(t)
	h.set(t, "fail-journal-coop-1", `{"__REALTIME_TIMESTAMP":"1796030468000000","MESSAGE":"not the unit's"}`+"\n")
	var got []hostbackend.Line
	err := h.backend.Journal(context.Background(), "coop-1", 10, false, func(l hostbackend.Line) { got = append(got, l) })
	if err == nil {
		t.Fatal("Journal succeeded, want the helper's failure")
	}
	want := []hostbackend.Line{{Stream: hostbackend.Stderr, Text: `{"__REALTIME_TIMESTAMP":"1796030468000000","MESSAGE":"not the unit's"}`}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Journal lines = %q, want %q", got, want)
	}
}
