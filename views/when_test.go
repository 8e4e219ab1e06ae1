package views_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/left4me/left4me/views"
)

func TestWhenSaysHowLongAgoAndCarriesTheAbsoluteTime(t *testing.T) {
	now := time.Date(2026, 11, 30, 9, 30, 0, 0, time.UTC)
	ctx := views.WithViewer(context.Background(), views.Viewer{Now: now})
	// A time in another zone is written in UTC: the page's script turns
	// the datetime into the viewer's zone, the server cannot know it.
	at := now.Add(-5 * time.Minute).In(time.FixedZone("CET", 3600))
	var b strings.Builder
	if err := views.When(at).Render(ctx, &b); err != nil {
		t.Fatal(err)
	}
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	el := doc.Find("time")
	if el.Length() != 1 {
		t.Fatalf("no <time> in %s", b.String())
	}
	if got := el.Text(); got != "5 min ago" {
		t.Errorf("text %q, want %q", got, "5 min ago")
	}
	if got, _ := el.Attr("datetime"); got != "2026-11-30T09:25:00Z" {
		t.Errorf("datetime %q", got)
	}
	if got, _ := el.Attr("title"); got != "2026-11-30 09:25:00 UTC" {
		t.Errorf("title %q", got)
	}
}
