package main

import (
	"archive/zip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/left4me/left4me/hostbackend"
	"github.com/left4me/left4me/hostbackend/fake"
)

// chromiumPath returns Debian's chromium, or "" when it is not installed.
func chromiumPath() string {
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	return ""
}

// TestBrowserInstallsTheGameThenStartsAndStopsAServer drives headless
// chromium through the whole panel on the fake backend, whose host has no
// game: the setup link, the dashboard's banner saying so, Install on the
// game page, the job's progress bar moving until the install succeeds and
// the banner is gone, a new server, Start until the badge says running
// and Stop until it says stopped, both seen through the dashboard's
// polling alone. It saves screenshots (game.png, install.png while the
// progress bar moves, dashboard-running.png while the server runs,
// dashboard.png) in the test's temp dir and, when LEFT4ME_SCREENSHOT_DIR
// is set, there too. Without chromium it skips, except in CI (CI=true),
// where it fails.
func TestBrowserInstallsTheGameThenStartsAndStopsAServer(t *testing.T) {
	chromium := chromiumPath()
	if chromium == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("chromium is not installed (apt-get install -y chromium); CI must run the browser test")
		}
		t.Skip("chromium is not installed (/usr/bin/chromium or chromium in PATH): apt-get install -y chromium to run the browser test")
	}
	start := time.Now()
	// The fake as make run has it, with no game and an install of about
	// 6 s (60 progress reports), so that the job page's 1 s poll sees the
	// bar move. A 1 s poller interval: the badge reaches running through
	// the poller after the fake's 2 s start delay, whatever the runner
	// does after a job.
	var host *fake.Backend // the log view's steps write its journal
	p := startPanelOn(t, func(c hostbackend.Config) hostbackend.Backend {
		host = fake.New(fake.Options{StateRoot: c.StateRoot, StartDelay: 2 * time.Second, StopDelay: time.Second,
			GameStepDelay: 100 * time.Millisecond})
		return host
	}, "-state-poller-interval", "1s", "-live-interval", "1s")
	defer func() {
		if err := p.Stop(); err != nil {
			t.Errorf("serve: %v", err)
		}
	}()
	dir, addr, logs := p.Dir, p.Addr, p.Logs
	base := "http://" + addr
	setupLink := regexp.MustCompile(regexp.QuoteMeta(base) + `/setup\?token=[A-Za-z0-9_-]{43}`).FindString(logs.String())
	if setupLink == "" {
		t.Fatalf("no setup link in the log:\n%s", logs.String())
	}

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.UserDataDir(filepath.Join(dir, "chromium")),
		chromedp.WindowSize(1280, 800),
		// A zone other than the panel's UTC: a time's title must be in
		// the viewer's.
		chromedp.Env("TZ=America/New_York"),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	browser, cancelBrowser := chromedp.NewContext(allocCtx)
	defer cancelBrowser()
	// Start the browser on its own context: a step's timeout context must
	// not own it, or the step's end would close the tab.
	if err := chromedp.Do(browser); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	ctx, cancel := context.WithTimeout(browser, 4*time.Minute)
	defer cancel()

	// step runs actions with their own deadline, so that a stuck step
	// fails with its name and the log instead of the test's timeout.
	step := func(name string, timeout time.Duration, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		if err := chromedp.Do(sctx, actions...); err != nil {
			t.Errorf("%s: %v\npanel log:\n%s", name, err, logs.String())
			dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			if html, err := chromedp.Run(dctx, chromedp.Evaluate[string](`location.href + "\n" + document.body.innerHTML`)); err == nil {
				t.Logf("the page then:\n%s", html)
			}
			screenshot(t, ctx, dir, "failure.png")
			t.FailNow()
		}
	}
	// click clicks sel once htmx has taken over its form or link, in the
	// same JavaScript task as the check. A mouse click can land on content
	// htmx swapped in but has not processed yet (it does so when the swap
	// settles, 20 ms later); the browser would then submit the form
	// without htmx and load a whole new page.
	click := func(sel string) chromedp.Action[chromedp.Void] {
		q, _ := json.Marshal(sel)
		return chromedp.Poll[chromedp.Void](strings.ReplaceAll(clickWhenProcessed, "SELECTOR", string(q)),
			chromedp.WithPollingInterval(20*time.Millisecond))
	}
	const row = `tr[data-testid="server-row"][data-name="coop-1"] `
	badge := func(state string) string { return row + `[data-testid="badge"][data-state="` + state + `"]` }

	step("create the first admin through the setup link", 20*time.Second,
		chromedp.Navigate(setupLink),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="setup-form"]`)),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="setup-form"] input[name="name"]`), "ann"),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="setup-form"] input[name="password"]`), "correct horse battery"),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="setup-form"] input[name="password_confirm"]`), "correct horse battery"),
		click(`[data-testid="setup-form"] button[type="submit"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="nav-account"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="no-servers"]`)),
	)
	step("see the game missing and install it from the game page", 20*time.Second,
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="game-banner"][data-state="missing"]`)),
		click(`[data-testid="game-banner-install"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="game-installed"][data-installed="false"]`)),
	)
	screenshot(t, ctx, dir, "game.png")
	step("start the install and see its progress bar", 20*time.Second,
		click(`[data-testid="game-install"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="job-progress-bar"]`)),
	)
	// The percents the bar shows, gathered while the page polls: two
	// different ones mean it moved without a reload.
	step("see the progress bar move", 30*time.Second,
		chromedp.Poll[chromedp.Void](`(() => {
			const seen = window.left4mePercents = window.left4mePercents || new Set();
			const bar = document.querySelector('[data-testid="job-progress"]');
			if (bar) { seen.add(bar.getAttribute("data-percent")); }
			return seen.size >= 2;
		})()`, chromedp.WithPollingInterval(50*time.Millisecond)),
	)
	screenshot(t, ctx, dir, "install.png")
	step("see the install succeed and the banner gone", 30*time.Second,
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="job-status"][data-state="succeeded"]`)),
		click(`[data-testid="nav-servers"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="no-servers"]`)),
		chromedp.WaitNotPresent(chromedp.CSS(`[data-testid="game-banner"]`)),
	)
	// A form shown again with its errors keeps its page's address, so a
	// reload shows the form (the POST's address answered "Method Not
	// Allowed" to the reload's GET).
	step("a refused name shows the form again at its own address", 20*time.Second,
		click(`[data-testid="new-server"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="server-form"]`)),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="server-form"] input[name="name"]`), "café"),
		click(`[data-testid="server-form"] button[type="submit"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="error-name"]`)),
		chromedp.Poll[chromedp.Void](`location.pathname === "/servers/new" &&
			document.querySelector('[data-testid="error-name"]').textContent.includes("contains “é”")`,
			chromedp.WithPollingInterval(20*time.Millisecond)),
	)
	step("reload after the form error", 20*time.Second,
		chromedp.Reload(),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="server-form"]`)),
		chromedp.WaitNotPresent(chromedp.CSS(`[data-testid="error-name"]`)),
	)
	step("create a server", 20*time.Second,
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="server-form"]`)),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="server-form"] input[name="name"]`), "coop-1"),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="server-form"] input[name="title"]`), "Coop night"),
		click(`[data-testid="server-form"] button[type="submit"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="server-title"]`)),
	)
	step("go to the dashboard", 20*time.Second,
		click(`[data-testid="nav-servers"]`),
		chromedp.WaitVisible(chromedp.CSS(badge("stopped"))),
		// A page load would drop this; it must survive every step below.
		chromedp.Evaluate[chromedp.Void](`window.left4meNoReload = "still here"; undefined`),
	)
	// Focus on a row's button and a selected server name survive three
	// polls of the status table (the poll morphs it; a replacing swap sent
	// focus back to <body> every 2 s).
	step("focus a row's button and select its name through three polls", 20*time.Second,
		chromedp.Evaluate[chromedp.Void](`(() => {
			window.left4mePolls = [];
			document.body.addEventListener("htmx:afterSettle", (e) => {
				if (e.target.id !== "status") { return; }
				const a = document.activeElement;
				window.left4mePolls.push((a && a.id) + "|" + String(getSelection()));
			});
			const name = document.querySelector('tr[data-name="coop-1"] code');
			const r = document.createRange();
			r.selectNodeContents(name);
			getSelection().removeAllRanges();
			getSelection().addRange(r);
			document.getElementById("restart-coop-1").focus();
		})()`),
		chromedp.Poll[chromedp.Void](`window.left4mePolls.length >= 3`, chromedp.WithPollingInterval(100*time.Millisecond)),
	)
	if polls, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`window.left4mePolls`)); err != nil {
		t.Fatal(err)
	} else {
		for i, p := range polls {
			if p != "restart-coop-1|coop-1" {
				t.Errorf("after poll %d, focus|selection = %q, want restart-coop-1|coop-1", i+1, p)
			}
		}
	}
	// flashSays waits for the page's confirmation of an action.
	flashSays := func(prefix string) chromedp.Action[chromedp.Void] {
		q, _ := json.Marshal(prefix)
		return chromedp.Poll[chromedp.Void](`(document.querySelector('[data-testid="flash"]')?.textContent ?? "").startsWith(`+string(q)+`)`,
			chromedp.WithPollingInterval(20*time.Millisecond))
	}
	step("start the server and see it running without a reload", 30*time.Second,
		click(row+`[data-testid="action-start"]`),
		flashSays("Starting coop-1 — job "),
		chromedp.WaitVisible(chromedp.CSS(badge("running"))),
		chromedp.WaitNotPresent(chromedp.CSS(row+`[data-testid="action-start"]`)),
	)
	noReload := func(when string) {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		got, err := chromedp.Run(sctx, chromedp.Evaluate[string](`String(window.left4meNoReload)`))
		if err != nil {
			t.Fatal(err)
		}
		if got != "still here" {
			t.Fatalf("the page was reloaded %s (marker = %q)", when, got)
		}
	}
	noReload("while the server started")

	// The game itself: its row says it answers, with players and map; a
	// game that stops answering for two sweeps gets a badge of its own.
	step("see the game answer on the dashboard", 20*time.Second,
		chromedp.Poll[chromedp.Void](`(() => {
			const row = document.querySelector('tr[data-testid="server-row"][data-name="coop-1"]');
			return row && row.querySelector('[data-testid="answer"][data-answer="yes"]') &&
				/^\d+\/4$/.test(row.querySelector('[data-testid="players"]').textContent.trim()) &&
				row.querySelector('[data-testid="map"]').textContent.trim() === "c1m1_hotel";
		})()`, chromedp.WithPollingInterval(50*time.Millisecond)),
	)
	screenshot(t, ctx, dir, "dashboard-running.png")
	host.SilenceGame("coop-1", true)
	step("a hung game stands out", 20*time.Second,
		chromedp.WaitVisible(chromedp.CSS(badge("not-answering"))),
	)
	host.SilenceGame("coop-1", false)
	step("the game answers again", 20*time.Second,
		chromedp.WaitVisible(chromedp.CSS(badge("running"))),
	)
	// The console: a changelevel reaches the game, whose next answer
	// names the new map on the server page.
	step("change the map from the console", 30*time.Second,
		click(row+`a[href="/servers/coop-1"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="live-state"][data-answer="yes"]`)),
		chromedp.WaitVisible(chromedp.CSS(`svg[data-testid="players-chart"][role="img"]`)),
		click(`[data-testid="server-console-link"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="console-command"]`)),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="console-command"]`), "changelevel c2m1_highway"),
		click(`[data-testid="console-send"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="console-answer-empty"]`)),
		chromedp.Navigate(base+"/servers/coop-1"),
		chromedp.Poll[chromedp.Void](`document.querySelector('[data-testid="live-map"]')?.textContent === "c2m1_highway"`,
			chromedp.WithPollingInterval(50*time.Millisecond)),
		click(`[data-testid="chart-range"][data-range="7d"]`),
		chromedp.WaitVisible(chromedp.CSS(`svg[data-testid="players-chart"][data-range="7d"]`)),
		click(`[data-testid="nav-servers"]`),
		chromedp.WaitVisible(chromedp.CSS(badge("running"))),
		chromedp.Evaluate[chromedp.Void](`window.left4meNoReload = "still here"; undefined`),
	)

	// The simulated host: an admin makes the OOM killer strike from the
	// server page, and the watch of the host's changes shows it at once
	// (the poller only looks every second here, but the badge follows
	// the event). The page says where server states come from.
	step("simulate an OOM kill and see it at once", 20*time.Second,
		click(row+`a[href="/servers/coop-1"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="simulate-oom-kill"]`)),
		chromedp.Poll[chromedp.Void](`document.querySelector('[data-testid="state-source"]')?.textContent.includes("systemd signals")`,
			chromedp.WithPollingInterval(50*time.Millisecond)),
		// data-confirm asks first: say yes without a dialog
		chromedp.Evaluate[chromedp.Void](`window.confirm = () => true; undefined`),
		click(`[data-testid="simulate-oom-kill"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="server-state"] [data-testid="badge"][data-state="failed"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="server-state"] [data-testid="drift"]`)),
		click(`[data-testid="nav-servers"]`),
		chromedp.WaitVisible(chromedp.CSS(badge("failed"))),
	)
	noReload("while the OOM kill was simulated")

	step("stop the server and see it stopped without a reload", 30*time.Second,
		click(row+`[data-testid="action-stop"]`),
		flashSays("Stopping coop-1 — job "),
		chromedp.WaitVisible(chromedp.CSS(badge("stopped"))),
		chromedp.WaitNotPresent(chromedp.CSS(row+`[data-testid="active-job"]`)),
	)
	noReload("while the server stopped")
	screenshot(t, ctx, dir, "dashboard.png")

	// The log view opens at the newest line, follows new lines while the
	// reader is at the bottom, keeps their place through the 3 s poll
	// when they scrolled up (and says it does not follow), and follows
	// again once they are back at the bottom.
	logLines := func(from, to int) []string {
		var l []string
		for i := from; i <= to; i++ {
			l = append(l, fmt.Sprintf("log line %d", i))
		}
		return l
	}
	host.AppendJournal("coop-1", logLines(1, 150))
	const logState = `(() => {
		const box = document.querySelector('[data-testid="log-box"]');
		const note = document.querySelector('[data-testid="log-paused"]');
		if (!box || !note) { return "no log"; }
		const lines = box.querySelectorAll('[data-testid="log-line"]');
		const bottom = box.scrollHeight - box.scrollTop - box.clientHeight < 4;
		const top = box.getBoundingClientRect().top;
		const first = Array.from(lines).find((l) => l.getBoundingClientRect().bottom > top + 1);
		return lines[lines.length-1].textContent.trim() + (bottom ? "|bottom" : "|from " + first.textContent.trim()) +
			(note.hidden ? "|following" : "|paused");
	})()`
	waitLog := func(name, want string) {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		defer cancel()
		err := chromedp.Do(sctx, chromedp.Poll[chromedp.Void](logState+` === `+strconvQuote(want),
			chromedp.WithPollingInterval(50*time.Millisecond)))
		if err != nil {
			dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			got, _ := chromedp.Run(dctx, chromedp.Evaluate[string](logState))
			t.Fatalf("%s: %v; the log view says %q, want %q", name, err, got, want)
		}
	}
	step("open the server page", 20*time.Second,
		click(row+`a[href="/servers/coop-1"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="log-box"]`)),
	)
	// Relative times ("2 min ago") carry the absolute time on hover, in
	// the viewer's time zone (New York here), not the server's UTC.
	step("a time's title is in the viewer's time zone", 10*time.Second,
		chromedp.Poll[chromedp.Void](`(() => {
			const ts = document.querySelectorAll("time[datetime]");
			return ts.length > 0 && Array.from(ts).every((t) => t.title !== "" && !t.title.endsWith(" UTC") &&
				/EST|EDT|GMT-[45]/.test(t.title));
		})()`, chromedp.WithPollingInterval(50*time.Millisecond)),
	)
	waitLog("the log opens at the newest line", "log line 150|bottom|following")
	host.AppendJournal("coop-1", logLines(151, 151))
	waitLog("the log follows a new line", "log line 151|bottom|following")
	// The box holds the last 100 lines: a new line pushes the oldest out
	// of its top, and the reader's first line must stay their first line.
	step("scroll the log up to a line", 10*time.Second,
		chromedp.Evaluate[chromedp.Void](`(() => {
			const box = document.querySelector('[data-testid="log-box"]');
			const line = Array.from(box.querySelectorAll('[data-testid="log-line"]')).find((l) => l.textContent.trim() === "log line 100");
			box.scrollTop += line.getBoundingClientRect().top - box.getBoundingClientRect().top;
		})()`))
	waitLog("the log says it does not follow", "log line 151|from log line 100|paused")
	host.AppendJournal("coop-1", logLines(152, 153))
	waitLog("a poll brings new lines and keeps the reader's place", "log line 153|from log line 100|paused")
	screenshot(t, ctx, dir, "server-log.png")
	step("scroll the log back to the bottom", 10*time.Second,
		chromedp.Evaluate[chromedp.Void](`(() => { const b = document.querySelector('[data-testid="log-box"]'); b.scrollTop = b.scrollHeight; })()`))
	waitLog("the log follows again", "log line 153|bottom|following")
	host.AppendJournal("coop-1", logLines(154, 154))
	waitLog("the log follows the next line", "log line 154|bottom|following")
	noReload("on the server page")

	// The Jobs page filters by operation; the filter stays in the address,
	// so a reload keeps it.
	const onlyStarts = `(() => {
		const ops = Array.from(document.querySelectorAll('[data-testid="jobs-row-operation"]')).map((c) => c.textContent.trim());
		return location.pathname + location.search === "/jobs?operation=start" &&
			document.querySelector('[data-testid="jobs-filter-operation"]').value === "start" &&
			ops.length > 0 && ops.every((o) => o === "start");
	})()`
	step("filter the jobs page by operation", 20*time.Second,
		click(`[data-testid="nav-jobs"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="jobs-filter-operation"]`)),
		chromedp.SetValue(chromedp.CSS(`[data-testid="jobs-filter-operation"]`), "start"),
		click(`[data-testid="jobs-filter-submit"]`),
		chromedp.Poll[chromedp.Void](onlyStarts, chromedp.WithPollingInterval(50*time.Millisecond)),
	)
	step("reload the filtered jobs page", 20*time.Second,
		chromedp.Reload(),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="jobs-filter-operation"]`)),
		chromedp.Poll[chromedp.Void](onlyStarts, chromedp.WithPollingInterval(50*time.Millisecond)),
	)

	// A new API token: shown once, its prefix in the list, a copy button
	// that says it copied (or selected the text where no clipboard is).
	step("create an API token and copy it", 20*time.Second,
		click(`[data-testid="nav-account"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="token-form"]`)),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="token-form"] input[name="name"]`), "deploy script"),
		click(`[data-testid="token-create"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="new-token-copy"]`)),
		chromedp.Poll[chromedp.Void](`(() => {
			const tok = document.querySelector('[data-testid="new-token"]').textContent.trim();
			const prefix = document.querySelector('[data-testid="token-row"][data-name="deploy script"] [data-testid="token-prefix"]');
			return location.pathname === "/account" && prefix && prefix.textContent.trim() === tok.slice(0, 8) + "…";
		})()`, chromedp.WithPollingInterval(50*time.Millisecond)),
		// (no form or link: a plain button with app.js's handler)
		chromedp.Click(chromedp.CSS(`[data-testid="new-token-copy"]`)),
		chromedp.Poll[chromedp.Void](`(() => {
			const s = document.querySelector('[data-testid="new-token-copied"]').textContent;
			return s === "Copied" || s.startsWith("Selected");
		})()`, chromedp.WithPollingInterval(50*time.Millisecond)),
	)
	// Everyone changes their own password on /account and stays there,
	// logged in, told what ended.
	step("change your own password", 20*time.Second,
		chromedp.SendKeys(chromedp.CSS(`[data-testid="password-form"] input[name="current_password"]`), "correct horse battery"),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="password-form"] input[name="password"]`), "a new horse battery"),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="password-form"] input[name="password_confirm"]`), "a new horse battery"),
		click(`[data-testid="password-change"]`),
		chromedp.Poll[chromedp.Void](`location.pathname === "/account" &&
			(document.querySelector('[data-testid="flash"]')?.textContent ?? "").startsWith("Your password is changed")`,
			chromedp.WithPollingInterval(50*time.Millisecond)),
	)
	// Edit a server: a refused port shows the form again at its own
	// address (a reload shows the form), a new title is saved.
	step("edit a server with a port out of range", 20*time.Second,
		chromedp.Navigate(base+"/servers/coop-1"),
		click(`[data-testid="action-edit"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="server-edit-form"]`)),
		chromedp.SetValue(chromedp.CSS(`[data-testid="server-edit-form"] input[name="port"]`), "80"),
		click(`[data-testid="server-edit-save"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="error-port"]`)),
		chromedp.Poll[chromedp.Void](`location.pathname === "/servers/coop-1/edit"`, chromedp.WithPollingInterval(20*time.Millisecond)),
		chromedp.Reload(),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="server-edit-form"]`)),
		chromedp.WaitNotPresent(chromedp.CSS(`[data-testid="error-port"]`)),
	)
	step("save a new title", 20*time.Second,
		chromedp.SetValue(chromedp.CSS(`[data-testid="server-edit-form"] input[name="title"]`), "Coop night 2"),
		click(`[data-testid="server-edit-save"]`),
		chromedp.Poll[chromedp.Void](`location.pathname === "/servers/coop-1" &&
			document.querySelector('[data-testid="server-title"]')?.textContent === "Coop night 2"`,
			chromedp.WithPollingInterval(20*time.Millisecond)),
	)

	// Add-ons: a set made in the panel (an archive uploaded through the
	// file input, a cfg written in the editor), put on the blueprint;
	// the server starts on it, shows its layers and its writable layer,
	// asks for a restart once the set changes, and its writable layer is
	// reset once it is stopped.
	archive := filepath.Join(dir, "maps.zip")
	writeZip(t, archive, map[string]string{"addons/c1m1_remix.vpk": "VPK fake", "cfg/maps.cfg": "sv_cheats 0\n"})
	pageSays := func(sel, part string) chromedp.Action[chromedp.Void] {
		q, _ := json.Marshal(sel)
		w, _ := json.Marshal(part)
		return chromedp.Poll[chromedp.Void](`(document.querySelector(`+string(q)+`)?.textContent ?? "").includes(`+string(w)+`)`,
			chromedp.WithPollingInterval(20*time.Millisecond))
	}
	step("create an add-on set", 20*time.Second,
		chromedp.Navigate(base+"/addon-sets"),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="addon-set-name"]`), "maps"),
		click(`[data-testid="addon-set-create"] button[type="submit"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="addon-upload"]`)),
	)
	step("upload an archive into it through the file input", 20*time.Second,
		chromedp.SetUploadFiles(chromedp.CSS(`[data-testid="addon-upload-file"]`), []string{archive}),
		chromedp.Click(chromedp.CSS(`[data-testid="addon-upload-submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="addon-file-row"][data-path="addons/c1m1_remix.vpk"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="addon-file-row"][data-path="cfg/maps.cfg"]`)),
	)
	step("edit a cfg of the set in the browser", 20*time.Second,
		click(`[data-testid="addon-file-row"][data-path="cfg/maps.cfg"] [data-testid="addon-file-link"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="addon-file-content"]`)),
		chromedp.SetValue(chromedp.CSS(`[data-testid="addon-file-content"]`), "sv_cheats 0\nsv_alltalk 1\n"),
		click(`[data-testid="addon-file-save"]`),
		flashSays("Saved cfg/maps.cfg"),
	)
	step("put the set on the blueprint", 20*time.Second,
		chromedp.Navigate(base+"/blueprints/1"),
		chromedp.SetValue(chromedp.CSS(`[data-testid="blueprint-addon-select"]`), "maps"),
		click(`[data-testid="blueprint-addon-add"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="blueprint-addon"][data-name="maps"]`)),
		click(`[data-testid="blueprint-save"]`),
		// Saved: a fresh load of the blueprint lists the set.
		chromedp.Poll[chromedp.Void](`(async () => {
			const r = await fetch("/blueprints/1"); const t = await r.text();
			return t.includes('name="addon_sets" value="maps"');
		})()`, chromedp.WithPollingInterval(200*time.Millisecond)),
	)
	step("start the server on its layers", 30*time.Second,
		chromedp.Navigate(base+"/servers/coop-1"),
		click(`[data-testid="server-actions"] [data-testid="action-start"]`),
		chromedp.Navigate(base+"/servers/coop-1"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="server-state"] [data-testid="badge"][data-state="running"]`)),
	)
	step("see what the server runs on and what it wrote", 30*time.Second,
		chromedp.Poll[chromedp.Void](`(async () => {
			const r = await fetch("/servers/coop-1"); const t = await r.text();
			return t.includes("add-on sets maps (revision") && t.includes('data-testid="layers-applied"');
		})()`, chromedp.WithPollingInterval(200*time.Millisecond)),
		chromedp.Reload(),
		pageSays(`[data-testid="layers-applied"]`, "maps (revision"),
		pageSays(`[data-testid="layers-writable"]`, "file"),
	)
	step("a change of the set asks for a restart", 20*time.Second,
		chromedp.Navigate(base+"/addon-sets/maps/files/cfg/maps.cfg"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="addon-file-content"]`)),
		chromedp.SetValue(chromedp.CSS(`[data-testid="addon-file-content"]`), "sv_cheats 0\nsv_alltalk 0\n"),
		click(`[data-testid="addon-file-save"]`),
		flashSays("Saved cfg/maps.cfg"),
		chromedp.Navigate(base+"/servers/coop-1"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="restart-hint"]`)),
		pageSays(`[data-testid="layers-next"]`, "maps (revision"),
	)
	step("stop the server and reset its writable layer", 40*time.Second,
		click(`[data-testid="server-actions"] [data-testid="action-stop"]`),
		chromedp.Navigate(base+"/servers/coop-1"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="server-state"] [data-testid="badge"][data-state="stopped"]`)),
		chromedp.Poll[chromedp.Void](`(async () => {
			const r = await fetch("/servers/coop-1"); const t = await r.text();
			return t.includes('data-testid="layers-reset"');
		})()`, chromedp.WithPollingInterval(200*time.Millisecond)),
		chromedp.Reload(),
		chromedp.Evaluate[chromedp.Void](`window.confirm = () => true; undefined`),
		click(`[data-testid="layers-reset"]`),
		flashSays("The writable layer of coop-1 is empty"),
		pageSays(`[data-testid="layers-writable"]`, "0 files"),
	)

	// At a desktop width no page is wider than the window either (the
	// users page's row forms were 1605 px wide).
	for _, page := range []string{"/", "/users", "/account", "/jobs"} {
		step("open "+page+" at 1280 px", 10*time.Second,
			chromedp.Navigate(base+page),
			chromedp.WaitVisible(chromedp.CSS(`main`)),
		)
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		wide, err := chromedp.Run(sctx, chromedp.Evaluate[string](sidewaysScroll))
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		if wide != "" {
			t.Errorf("%s scrolls sideways at 1280 px: %s", page, wide)
		}
	}

	// A 390 px phone: no page scrolls sideways (tables scroll in their own
	// box, long names wrap). Each page's widest element is named on failure.
	// A server with the longest name and a title of one long word must
	// wrap, not widen the page.
	const longName = "a-very-long-server-name-for-390p" // 32 characters, the most a name has
	step("at 390 px, create a server with a long name", 20*time.Second,
		chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(base+"/servers/new"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="server-form"]`)),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="server-form"] input[name="name"]`), longName),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="server-form"] input[name="title"]`), "Supercalifragilisticexpialidociouscoopnightmarathon"),
		click(`[data-testid="server-form"] button[type="submit"]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="server-title"]`)),
	)
	for _, page := range []string{"/", "/servers/coop-1", "/servers/" + longName, "/servers/new", "/users", "/blueprints", "/account", "/jobs/2", "/game", "/jobs", "/jobs?server=" + longName, "/servers/" + longName + "/edit", "/blueprints/1", "/addon-sets", "/addon-sets/maps", "/addon-sets/maps/files/cfg/maps.cfg"} {
		step("open "+page+" at 390 px", 10*time.Second,
			chromedp.Navigate(base+page),
			chromedp.WaitVisible(chromedp.CSS(`main`)),
		)
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		wide, err := chromedp.Run(sctx, chromedp.Evaluate[string](sidewaysScroll))
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		if wide != "" {
			t.Errorf("%s scrolls sideways at 390 px: %s", page, wide)
		}
		if page == "/" {
			screenshot(t, ctx, dir, "dashboard-390.png")
		}
	}
	t.Logf("browser test took %s", time.Since(start).Round(time.Millisecond))
}

// writeZip writes a zip of files (path → content) at path.
func writeZip(t *testing.T, path string, files map[string]string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for name, content := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(w, content); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// strconvQuote quotes s as a JavaScript string.
func strconvQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// clickWhenProcessed clicks the element SELECTOR and is true once htmx has
// processed its form or link and no swap is in progress; until then it is
// false and clicks nothing.
const clickWhenProcessed = `(() => {
	const el = document.querySelector(SELECTOR);
	const target = el && (el.closest("form") || el.closest("a"));
	const data = target && target["htmx-internal-data"];
	if (!data || !data.initHash || document.querySelector(".htmx-request, .htmx-swapping, .htmx-settling")) {
		return false;
	}
	el.click();
	return true;
})()`

// sidewaysScroll is "" when the page is no wider than the viewport, else
// the widths and the element reaching furthest right (outside any box that
// scrolls or clips): the deepest one whose content overflows it, if any.
const sidewaysScroll = `(() => {
	const w = document.documentElement.clientWidth, sw = document.documentElement.scrollWidth;
	if (sw <= w) { return ""; }
	let far = null, right = 0;
	const inScrollBox = (el) => {
		for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
			if (getComputedStyle(a).overflowX !== "visible") { return true; }
		}
		return false;
	};
	let over = null; // the deepest element whose content is wider than itself
	for (const el of document.body.querySelectorAll("*")) {
		if (inScrollBox(el)) { continue; }
		const r = el.getBoundingClientRect().right;
		if (r > right) { right = r; far = el; }
		if (el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX === "visible") { over = el; }
	}
	if (over) { far = over; right = over.getBoundingClientRect().left + over.scrollWidth; }
	return "scrollWidth " + sw + " > " + w + "; furthest: <" + far.tagName.toLowerCase() + " class=\"" + far.className +
		"\" data-testid=\"" + (far.getAttribute("data-testid") || "") + "\"> at " + Math.round(right) + " px: " + far.outerHTML.slice(0, 120);
})()`

// screenshot saves a full-page PNG of the current page as name in dir and,
// when LEFT4ME_SCREENSHOT_DIR is set, there as well.
func screenshot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	png, err := chromedp.Run(sctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	dirs := []string{dir}
	if d := os.Getenv("LEFT4ME_SCREENSHOT_DIR"); d != "" {
		dirs = append(dirs, d)
	}
	for _, d := range dirs {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(d, name)
		if err := os.WriteFile(p, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s", p)
	}
}
