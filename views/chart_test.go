package views_test

import (
	"bytes"
	"context"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/left4me/left4me/live"
	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/views"
)

// renderDoc renders comp for an operator at now and parses it.
func renderDoc(t *testing.T, comp interface {
	Render(context.Context, io.Writer) error
}, now time.Time) *goquery.Document {
	t.Helper()
	ctx := views.WithViewer(context.Background(), views.Viewer{User: &store.User{ID: 1, Name: "ann", Role: store.RoleOperator}, Now: now})
	var buf bytes.Buffer
	if err := comp.Render(ctx, &buf); err != nil {
		t.Fatal(err)
	}
	doc, err := goquery.NewDocumentFromReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func bucket(at time.Time, players, max, samples, answered int) store.LiveBucket {
	return store.LiveBucket{Start: store.NewTime(at), Players: players, MaxPlayers: max, Samples: samples, Answered: answered}
}

func TestTheChartDrawsABarPerAnsweredBucketAndLeavesGaps(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	r := views.ChartRangeOf("24h")
	var buckets []store.LiveBucket
	// Ran from 20 h ago for an hour (12 buckets, one of them silent),
	// then not at all until 2 h ago, then on: a gap of 17 h.
	for i := range 12 {
		at := now.Add(-20*time.Hour + time.Duration(i)*5*time.Minute)
		if i == 5 {
			buckets = append(buckets, bucket(at, 0, 0, 30, 0))
			continue
		}
		buckets = append(buckets, bucket(at, i%7, 8, 30, 30))
	}
	for i := range 24 {
		buckets = append(buckets, bucket(now.Add(-2*time.Hour+time.Duration(i)*5*time.Minute), 2, 8, 30, 28))
	}
	c := views.NewChart(buckets, r, now)
	doc := renderDoc(t, views.PlayersChart("coop-1", c), now)

	svg := doc.Find(`svg[data-testid="players-chart"]`)
	if role, _ := svg.Attr("role"); role != "img" {
		t.Fatalf("role %q", role)
	}
	label, _ := svg.Attr("aria-label")
	if label != "Players over the last 24 h: peak 6 of 8 players" || svg.ChildrenFiltered("title").Text() != label {
		t.Fatalf("label %q, title %q", label, svg.ChildrenFiltered("title").Text())
	}
	bars := svg.Find(`[data-testid="chart-bar"]`)
	if bars.Length() != 11+24 {
		t.Fatalf("%d bars, want 35", bars.Length())
	}
	if n := svg.Find(`[data-testid="chart-silent"]`).Length(); n != 1 {
		t.Fatalf("%d silent marks, want 1", n)
	}
	// The gap: between the first stretch's last bar and the second's
	// first lies 17 hours' width of nothing (16 h's, with the bars' widths
	// rounded to a tenth).
	xs := make([]float64, 0, bars.Length())
	bars.Each(func(_ int, b *goquery.Selection) {
		x, _ := strconv.ParseFloat(b.AttrOr("x", ""), 64)
		xs = append(xs, x)
	})
	bucketW := xs[1] - xs[0]
	if gap := xs[11] - xs[10]; gap < 16*12*bucketW {
		t.Fatalf("the gap between the stretches is %.1f wide, want at least %.1f (16 h)", gap, 16*12*bucketW)
	}
	// The tallest bar is the peak, bucket 6 (the fifth bar's silent
	// bucket has none): 6 of a scale topped by the 8 slots.
	var hs []float64
	bars.Each(func(_ int, b *goquery.Selection) {
		h, _ := strconv.ParseFloat(b.AttrOr("height", ""), 64)
		hs = append(hs, h)
	})
	for i, h := range hs {
		if h > hs[5] {
			t.Fatalf("bar %d (%.1f) is taller than the peak's (%.1f)", i, h, hs[5])
		}
	}
	if hs[0] <= 0 { // no players, but it answered: a sliver, unlike a gap
		t.Fatalf("an empty server's bar is %.1f high", hs[0])
	}
	if h := hs[5]; h < 100 || h > 130 { // 6/8 of the plot's 146
		t.Fatalf("the peak's bar is %.1f high, want 6/8 of 146", h)
	}
	if title := bars.Eq(5).Find("title").Text(); title != "16:30 UTC: 6 of 8 players" {
		t.Fatalf("bar title %q", title)
	}

	var xl, yl []string
	svg.Find(`[data-testid="chart-x-label"]`).Each(func(_ int, s *goquery.Selection) { xl = append(xl, s.Text()) })
	svg.Find(`[data-testid="chart-y-label"]`).Each(func(_ int, s *goquery.Selection) { yl = append(yl, s.Text()) })
	if strings.Join(xl, ",") != "−24 h,−18 h,−12 h,−6 h,now" || strings.Join(yl, ",") != "0,8" {
		t.Fatalf("labels: x %q, y %q", xl, yl)
	}
	if svg.Find(`[data-testid="chart-cap"]`).Length() != 1 {
		t.Fatal("no line at the 8 slots")
	}
	if cur := doc.Find(`[data-testid="chart-range"][aria-current]`); cur.AttrOr("data-range", "") != "24h" {
		t.Fatalf("current range link %q", cur.AttrOr("data-range", ""))
	}
	assertNoStyle(t, doc)
}

func TestTheWeekChartHasHourlyBarsAndDays(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	r := views.ChartRangeOf("7d")
	var buckets []store.LiveBucket
	for i := range 48 {
		buckets = append(buckets, bucket(now.Add(-72*time.Hour+time.Duration(i)*time.Hour), 1+i%4, 4, 360, 360))
	}
	c := views.NewChart(buckets, r, now)
	doc := renderDoc(t, views.PlayersChart("coop-1", c), now)
	svg := doc.Find(`svg[data-testid="players-chart"]`)
	if n := svg.Find(`[data-testid="chart-bar"]`).Length(); n != 48 {
		t.Fatalf("%d bars, want 48", n)
	}
	var xl []string
	svg.Find(`[data-testid="chart-x-label"]`).Each(func(_ int, s *goquery.Selection) { xl = append(xl, s.Text()) })
	if strings.Join(xl, ",") != "−7 d,−6 d,−5 d,−4 d,−3 d,−2 d,−1 d,now" {
		t.Fatalf("x labels %q", xl)
	}
	if label := svg.AttrOr("aria-label", ""); label != "Players over the last 7 days: peak 4 of 4 players" {
		t.Fatalf("label %q", label)
	}
	if views.ChartRangeOf("1y").Key != "24h" {
		t.Fatal("an unknown range is not the default")
	}
	assertNoStyle(t, doc)
}

func TestAChartWithoutAnswersSaysSo(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	c := views.NewChart(nil, views.ChartRangeOf("24h"), now)
	doc := renderDoc(t, views.PlayersChart("coop-1", c), now)
	svg := doc.Find(`svg[data-testid="players-chart"]`)
	if svg.Find("rect").Length() != 0 || svg.Find(`[data-testid="chart-cap"]`).Length() != 0 {
		t.Fatal("an empty chart draws bars")
	}
	if label := svg.AttrOr("aria-label", ""); label != "Players over the last 24 h: no answer from the game" {
		t.Fatalf("label %q", label)
	}
}

// assertNoStyle fails on an inline style attribute or element: the CSP
// (style-src 'self') would refuse it.
func assertNoStyle(t *testing.T, doc *goquery.Document) {
	t.Helper()
	if n := doc.Find("[style], style").Length(); n != 0 {
		t.Fatalf("%d elements with inline style", n)
	}
}

func TestTheGameSectionSaysWhatTheGameSaid(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	srv := store.Server{ID: 1, Name: "coop-1", ActualState: "running"}
	v := live.View{At: now, LastAnswer: now.Add(-3 * time.Minute), Misses: 2}
	v.Err = "no answer within 1 s"
	p := views.LivePanel{Server: srv, Asking: true, View: v, Known: true, Chart: views.NewChart(nil, views.ChartRangeOf("7d"), now)}
	doc := renderDoc(t, views.ServerLive(p), now)
	st := doc.Find(`[data-testid="live-state"]`)
	if st.AttrOr("data-answer", "") != "not-answering" || !strings.Contains(st.Text(), "no answer for 3 min") || !strings.Contains(st.Text(), "no answer within 1 s") {
		t.Fatalf("state %q %q", st.AttrOr("data-answer", ""), st.Text())
	}
	if doc.Find(`[data-testid="live-facts"]`).Length() != 0 {
		t.Fatal("facts of a game that did not answer")
	}
	if got := doc.Find(`#server-live`).AttrOr("hx-get", ""); got != "/servers/coop-1/live" {
		t.Fatalf("the status poll asks %q", got)
	}
	if got := doc.Find(`#players-chart`).AttrOr("hx-get", ""); got != "/servers/coop-1/live/chart?chart=7d" {
		t.Fatalf("the chart's poll asks %q", got)
	}

	v = live.View{At: now, LastAnswer: now, Misses: 0}
	v.Answered, v.HostName, v.Map, v.Game, v.Version = true, "Game night", "c1m1_hotel", "L4D2 - Co-op", "2.2.4.3"
	v.Players, v.Bots, v.MaxPlayers, v.Secure, v.RTT = 3, 1, 8, true, 420*time.Microsecond
	p.View = v
	doc = renderDoc(t, views.ServerLive(p), now)
	for id, want := range map[string]string{"live-host-name": "Game night", "live-map": "c1m1_hotel", "live-game": "L4D2 - Co-op",
		"live-version": "2.2.4.3", "live-rtt": "0.4 ms", "live-secure": "secured"} {
		if got := strings.TrimSpace(doc.Find(`[data-testid="` + id + `"]`).Text()); got != want {
			t.Errorf("%s: %q, want %q", id, got, want)
		}
	}
	if got := strings.Join(strings.Fields(doc.Find(`[data-testid="live-players"]`).Text()), " "); got != "3/8 (1 bot)" {
		t.Errorf("players %q", got)
	}
	assertNoStyle(t, doc)

	p.Server.ActualState = "stopped"
	doc = renderDoc(t, views.ServerLive(p), now)
	if doc.Find(`[data-testid="live-idle"]`).Length() != 1 || doc.Find(`[data-testid="players-chart"]`).Length() != 1 {
		t.Fatal("a stopped server's section: no 'not running' or no chart")
	}
}
