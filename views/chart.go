package views

import (
	"fmt"
	"strconv"
	"time"

	"github.com/left4me/left4me/store"
)

// ChartRange is a span of the players chart: how far back it looks and
// how wide one bar is.
type ChartRange struct {
	// Key is the range in a URL's query (?chart=7d).
	Key    string
	Name   string // "24 h"
	Span   time.Duration
	Bucket time.Duration
	// Tick is the distance between the labels of the time axis.
	Tick time.Duration
}

// ChartRanges are the spans the server page offers, the first the default.
var ChartRanges = []ChartRange{
	{Key: "24h", Name: "24 h", Span: 24 * time.Hour, Bucket: 5 * time.Minute, Tick: 6 * time.Hour},
	{Key: "7d", Name: "7 days", Span: 7 * 24 * time.Hour, Bucket: time.Hour, Tick: 24 * time.Hour},
}

// ChartRangeOf returns the range of key, the default for one it does not
// know.
func ChartRangeOf(key string) ChartRange {
	for _, r := range ChartRanges {
		if r.Key == key {
			return r
		}
	}
	return ChartRanges[0]
}

// The chart's drawing area in the SVG's own units; the SVG scales to the
// width of its box (viewBox), keeping its proportions.
const (
	chartW      = 720.0 // the whole SVG
	chartH      = 180.0
	chartLeft   = 32.0 // room for the player counts
	chartRight  = 8.0
	chartTop    = 10.0
	chartBottom = 24.0 // room for the time labels
)

// Chart is a drawn players chart: what the template writes into its
// <svg>. Every number is already formatted, so the template only places
// strings.
type Chart struct {
	Range ChartRange
	// Label summarises the chart for a screen reader: "peak 6 of 8
	// players, 24 h" or "no answer from the game in the last 24 h".
	Label string
	// Bars are the buckets with an answer, drawn up to the most players
	// heard in them.
	Bars []ChartRect
	// Silent are the buckets where the server ran but never answered:
	// a mark on the base line.
	Silent []ChartRect
	// Cap is the line of the most players the server took, nil when it
	// never answered.
	Cap *ChartLine
	// XTicks and YTicks label the axes.
	XTicks []ChartText
	YTicks []ChartText
	// Box is the drawing area's frame (base line and left edge).
	Base, Axis ChartLine
	Peak, Max  int
}

// ChartRect is one bar, as SVG attribute values.
type ChartRect struct {
	X, Y, W, H string
	// Title is the bar's tooltip ("14:05: 6 of 8 players").
	Title string
}

// ChartLine is a line from (X1, Y1) to (X2, Y2).
type ChartLine struct{ X1, Y1, X2, Y2 string }

// ChartText is a label placed at (X, Y).
type ChartText struct{ X, Y, Text string }

// NewChart draws the buckets (store.LiveHistory, oldest first, of width
// r.Bucket) of the r.Span before now. A stretch without a bucket, when
// the server did not run, stays empty: a gap.
func NewChart(buckets []store.LiveBucket, r ChartRange, now time.Time) Chart {
	c := Chart{Range: r}
	for _, b := range buckets {
		if b.Answered > 0 {
			c.Peak = max(c.Peak, b.Players)
			c.Max = max(c.Max, b.MaxPlayers)
		}
	}
	top := float64(max(c.Max, c.Peak, 1))
	bars := make([]chartBar, len(buckets))
	for i, b := range buckets {
		when := bucketTime(b.Start.Time, r)
		if b.Answered == 0 {
			bars[i] = chartBar{start: b.Start.Time, silent: true, title: when + ": running, no answer"}
			continue
		}
		bars[i] = chartBar{start: b.Start.Time, value: float64(b.Players),
			title: fmt.Sprintf("%s: %d of %d players", when, b.Players, b.MaxPlayers)}
	}
	c.plot(bars, top, now)
	if c.Max > 0 {
		c.capAt(float64(c.Max), top, strconv.Itoa(c.Max))
	}
	switch {
	case c.Max == 0 && c.Peak == 0:
		c.Label = "Players over the last " + r.Name + ": no answer from the game"
	default:
		c.Label = fmt.Sprintf("Players over the last %s: peak %d of %d players", r.Name, c.Peak, c.Max)
	}
	return c
}

// chartBar is one bucket to draw: a bar up to value, or, silent, a mark
// on the base line.
type chartBar struct {
	start  time.Time
	value  float64
	silent bool
	title  string
}

// plot draws bars (each c.Range.Bucket wide) of the c.Range.Span before
// now, top being the value at the chart's top, with the axes and the
// time labels. A bar of value 0 still shows a sliver: the bucket was
// measured, unlike a gap.
func (c *Chart) plot(bars []chartBar, top float64, now time.Time) {
	r := c.Range
	start := now.Add(-r.Span)
	plotW, plotH := chartW-chartLeft-chartRight, chartH-chartTop-chartBottom
	base := chartTop + plotH
	xOf := func(t time.Time) float64 {
		return chartLeft + plotW*float64(t.Sub(start))/float64(r.Span)
	}
	barW := plotW * float64(r.Bucket) / float64(r.Span)
	for _, b := range bars {
		if b.start.Add(r.Bucket).Before(start) || b.start.After(now) {
			continue
		}
		x := max(xOf(b.start), chartLeft)
		w := min(xOf(b.start)+barW, chartLeft+plotW) - x
		if b.silent {
			c.Silent = append(c.Silent, ChartRect{X: num(x), Y: num(base - 3), W: num(w), H: "3", Title: b.title})
			continue
		}
		h := max(plotH*b.value/top, 1.5)
		c.Bars = append(c.Bars, ChartRect{X: num(x), Y: num(base - h), W: num(w), H: num(h), Title: b.title})
	}
	c.Base = ChartLine{X1: num(chartLeft), Y1: num(base), X2: num(chartLeft + plotW), Y2: num(base)}
	c.Axis = ChartLine{X1: num(chartLeft), Y1: num(chartTop), X2: num(chartLeft), Y2: num(base)}
	c.YTicks = []ChartText{{X: num(chartLeft - 6), Y: num(base), Text: "0"}}
	for back := r.Span; back >= 0; back -= r.Tick {
		text := "now"
		if back > 0 {
			text = "−" + tickText(back, r)
		}
		c.XTicks = append(c.XTicks, ChartText{X: num(xOf(now.Add(-back))), Y: num(chartH - 6), Text: text})
	}
}

// capAt draws the dashed line of a limit at value (top being the value at
// the chart's top), labelled text on the value axis.
func (c *Chart) capAt(value, top float64, text string) {
	plotW, plotH := chartW-chartLeft-chartRight, chartH-chartTop-chartBottom
	y := chartTop + plotH - plotH*value/top
	c.Cap = &ChartLine{X1: num(chartLeft), Y1: num(y), X2: num(chartLeft + plotW), Y2: num(y)}
	c.YTicks = append(c.YTicks, ChartText{X: num(chartLeft - 6), Y: num(y), Text: text})
}

// tickText writes a time axis distance in the unit of the range's ticks:
// "15 min", "6 h", "24 h", "2 d".
func tickText(d time.Duration, r ChartRange) string {
	switch {
	case r.Tick >= 24*time.Hour:
		return strconv.Itoa(int(d/(24*time.Hour))) + " d"
	case r.Tick < time.Hour:
		return strconv.Itoa(int(d/time.Minute)) + " min"
	}
	return strconv.Itoa(int(d/time.Hour)) + " h"
}

// bucketTime names a bucket in its tooltip, in UTC as the panel writes
// times.
func bucketTime(t time.Time, r ChartRange) string {
	if r.Bucket >= time.Hour {
		return t.UTC().Format("Mon 2 Jan 15:04") + " UTC"
	}
	return t.UTC().Format("15:04") + " UTC"
}

// num writes an SVG coordinate with at most one decimal.
func num(f float64) string {
	return strconv.FormatFloat(float64(int64(f*10+0.5))/10, 'f', -1, 64)
}
