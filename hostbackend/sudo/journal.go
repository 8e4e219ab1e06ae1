package sudo

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/left4me/left4me/hostbackend"
)

// journalEntry is one line the journalctl helper prints: an entry of
// `journalctl -o json --output-fields=MESSAGE --all`. journalctl always
// adds __REALTIME_TIMESTAMP, microseconds since the epoch as a decimal
// string. MESSAGE is a JSON string, an array of byte values when it is not
// valid UTF-8, or an array of such values when the entry has several.
type journalEntry struct {
	Realtime string          `json:"__REALTIME_TIMESTAMP"`
	Message  json.RawMessage `json:"MESSAGE"`
}

// journalLines passes what journalctl printed on to out as the unit's log
// lines: each entry's message, one Line per line of it (as `-o cat` would
// print it), stamped with the entry's time. A line that is not such an
// entry (a truncated one, anything else the helper wrote) comes through
// whole with a zero time; an entry without a message gives no line, as
// with `-o cat`. Stderr lines are journalctl's own and pass unchanged.
func journalLines(out hostbackend.LineFunc) hostbackend.LineFunc {
	if out == nil {
		return nil
	}
	return func(l hostbackend.Line) {
		if l.Stream != hostbackend.Stdout {
			out(l)
			return
		}
		at, messages, ok := parseJournalEntry(l.Text)
		if !ok {
			out(l)
			return
		}
		for _, m := range messages {
			for _, text := range strings.Split(m, "\n") {
				out(hostbackend.Line{Stream: hostbackend.Stdout, Text: strings.TrimSuffix(text, "\r"), Time: at})
			}
		}
	}
}

// parseJournalEntry reads one line of journalctl's JSON output: the
// entry's time and its messages (none when it has no MESSAGE field).
func parseJournalEntry(line string) (time.Time, []string, bool) {
	if !strings.HasPrefix(line, "{") {
		return time.Time{}, nil, false
	}
	var e journalEntry
	if err := json.Unmarshal([]byte(line), &e); err != nil {
		return time.Time{}, nil, false
	}
	us, err := strconv.ParseInt(e.Realtime, 10, 64)
	if err != nil || us <= 0 {
		return time.Time{}, nil, false
	}
	at := time.UnixMicro(us).UTC()
	raw := bytes.TrimSpace(e.Message)
	if len(raw) == 0 || string(raw) == "null" {
		return at, nil, true
	}
	if m, ok := journalValue(raw); ok {
		return at, []string{m}, true
	}
	var values []json.RawMessage
	if err := json.Unmarshal(raw, &values); err != nil {
		return time.Time{}, nil, false
	}
	messages := make([]string, 0, len(values))
	for _, v := range values {
		m, ok := journalValue(v)
		if !ok {
			return time.Time{}, nil, false
		}
		messages = append(messages, m)
	}
	return at, messages, true
}

// journalValue decodes one field value: a JSON string, or an array of
// byte values (a value that is not valid UTF-8).
func journalValue(raw json.RawMessage) (string, bool) {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, true
	}
	var nums []int
	if err := json.Unmarshal(raw, &nums); err != nil {
		return "", false
	}
	b := make([]byte, len(nums))
	for i, n := range nums {
		if n < 0 || n > 255 {
			return "", false
		}
		b[i] = byte(n)
	}
	return string(b), true
}
