package app_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/left4me/left4me/app"
	"github.com/left4me/left4me/hostbackend"
	"github.com/left4me/left4me/hostbackend/fake"
	"github.com/left4me/left4me/jobs"
	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/store/storetest"
)

// newEnvWithoutGame is a panel whose fake host has no game installed.
func newEnvWithoutGame(t *testing.T) *env {
	t.Helper()
	return newEnvFake(t, store.Options{}, fake.Options{})
}

// installGame installs the game on the env's fake host, as a job would.
func (e *env) installGame() {
	e.t.Helper()
	if err := e.backend.GameInstall(context.Background(), true, hostbackend.GameEvents{}); err != nil {
		e.t.Fatal(err)
	}
}

func TestAServerDoesNotStartWhileTheGameIsMissing(t *testing.T) {
	e := newEnvWithoutGame(t)
	storetest.Server(t, e.db, "coop-1", 27015)
	web := e.as(store.RoleOperator)
	api, _ := e.apiAs("bot", store.RoleOperator)
	before := e.counts()

	for _, op := range []string{"start", "restart"} {
		code, doc := web.postDoc("/servers/coop-1/"+op, nil)
		msg := testid(doc, "error-message").Text()
		if code != 409 || !strings.HasPrefix(msg, "The game is not installed yet") || !strings.Contains(msg, "Game page") {
			t.Errorf("web %s without the game = %d %q, want 409 saying the game is not installed and where to install it", op, code, msg)
		}
		var eb apiErrorBody
		api.callJSON("POST", "/api/v1/servers/coop-1/"+op, nil, 409, &eb)
		if !strings.HasPrefix(eb.Error, "The game is not installed yet") {
			t.Errorf("API %s without the game: %+v", op, eb)
		}
	}
	if after := e.counts(); after != before {
		t.Fatalf("a refused start changed something: %s, then %s", before, after)
	}
	var eb apiErrorBody
	api.callJSON("POST", "/api/v1/servers/nobody/start", nil, 404, &eb)
	// Stopping needs no game.
	api.callJSON("POST", "/api/v1/servers/coop-1/stop", nil, 202, nil)

	e.installGame()
	if resp := web.post("/servers/coop-1/start", nil); resp.StatusCode != 303 {
		t.Fatalf("start with the game installed = %d, want 303", resp.StatusCode)
	}
}

func TestAStartRefusedDuringTheInstallSaysHowFarItIs(t *testing.T) {
	e := newEnvWithoutGame(t)
	storetest.Server(t, e.db, "coop-1", 27015)
	e.backend.HangGameInstall(true)
	e.startRunner(t)
	admin, u := e.apiAs("ann", store.RoleAdmin)
	job, err := e.queue.EnqueueGame(context.Background(), jobs.GameParams{Operation: store.OpGameInstall, RequestedBy: u.ID})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the install's first progress", func() bool {
		j, err := e.db.GetJob(context.Background(), job.ID)
		return err == nil && j.Progress.Phase != ""
	})
	var eb apiErrorBody
	admin.callJSON("POST", "/api/v1/servers/coop-1/start", nil, 409, &eb)
	if want := "its installation is running (job " + itoa(job.ID) + ", reconfiguring 50%)"; !strings.Contains(eb.Error, want) {
		t.Fatalf("start during the install: %q, want it to contain %q", eb.Error, want)
	}
	if _, err := e.queue.Cancel(context.Background(), job.ID); err != nil {
		t.Fatal(err)
	}
}

func TestTheGamePageAndTheBannerSayTheGameIsMissing(t *testing.T) {
	e := newEnvWithoutGame(t)
	admin, op := e.as(store.RoleAdmin), e.as(store.RoleOperator)

	_, doc := admin.get("/")
	b := testid(doc, "game-banner")
	if b.AttrOr("data-state", "") != "missing" || !strings.Contains(b.Text(), "The game is not installed yet") ||
		testid(doc, "game-banner-install").AttrOr("href", "") != "/game" {
		t.Fatalf("an admin's banner: %q, want the game missing with a link to the game page", b.Text())
	}
	if testid(doc, "nav-game").AttrOr("href", "") != "/game" {
		t.Error("no Game link in an admin's navigation")
	}
	for _, path := range []string{"/", "/servers/status"} {
		_, doc = op.get(path)
		b = testid(doc, "game-banner")
		if b.AttrOr("data-state", "") != "missing" || !strings.Contains(b.Text(), "ask an admin") || testid(doc, "game-banner-install").Length() != 0 {
			t.Errorf("an operator's %s: banner %q, want the game missing and whom to ask", path, b.Text())
		}
	}
	if testid(doc, "nav-game").Length() != 0 {
		t.Error("an operator's navigation links the game page")
	}

	_, doc = admin.get("/game")
	if testid(doc, "game-installed").AttrOr("data-installed", "") != "false" || testid(doc, "game-install").Length() != 1 ||
		testid(doc, "game-update").Length() != 0 {
		t.Fatalf("game page without the game: installed %q, want Install only", testid(doc, "game-installed").Text())
	}
	if got := testid(doc, "game-path").Text(); got != "/var/lib/left4me/game" {
		t.Errorf("path %q", got)
	}
	if got := testid(doc, "game-program").Text(); got != "/var/lib/left4me/game/srcds_run" {
		t.Errorf("program %q", got)
	}
	if got := strings.TrimSpace(testid(doc, "game-latest").Text()); got != "not checked yet" {
		t.Errorf("latest build %q", got)
	}
	if doc.Find(`form[data-testid="game-form"] input[name="_csrf"]`).Length() != 1 || doc.Find(`form[data-testid="game-check-form"] input[name="_csrf"]`).Length() != 1 {
		t.Error("a game form without its CSRF token")
	}
}

func TestInstallingFromTheGamePageShowsItsProgressUntilTheBannerGoes(t *testing.T) {
	e := newEnvWithoutGame(t)
	e.backend.HangGameInstall(true)
	e.startRunner(t)
	admin := e.as(store.RoleAdmin)
	storetest.Server(t, e.db, "coop-1", 27015)

	resp := admin.post("/game/install", nil)
	loc := resp.Header.Get("Location")
	if resp.StatusCode != 303 || !strings.HasPrefix(loc, "/jobs/") {
		t.Fatalf("install: %d %s, want the job's page", resp.StatusCode, loc)
	}
	id := jobID(t, loc)
	waitFor(t, "the install's first progress", func() bool {
		j, err := e.db.GetJob(context.Background(), id)
		return err == nil && j.Progress.Phase != ""
	})
	_, doc := admin.get(loc)
	p := testid(doc, "job-progress")
	if p.AttrOr("data-phase", "") != "reconfiguring" || p.AttrOr("data-percent", "") != "50.00" ||
		testid(doc, "job-progress-bar").AttrOr("value", "") != "50.00" || testid(doc, "job-progress-bytes").Length() != 1 {
		t.Fatalf("progress on the job page: %q", p.Text())
	}
	if testid(doc, "job-game").AttrOr("href", "") != "/game" {
		t.Error("a game job's page does not link the game page")
	}
	if st := testid(doc, "job-status").AttrOr("hx-get", ""); !strings.Contains(st, "phase=reconfiguring") {
		t.Errorf("the poll does not carry the reading its rate is measured from: %s", st)
	}
	_, doc = admin.get("/")
	if b := testid(doc, "game-banner"); b.AttrOr("data-state", "") != "running" || testid(doc, "game-banner-progress").Text() != "reconfiguring 50%" {
		t.Fatalf("banner during the install: %q", b.Text())
	}
	_, doc = admin.get("/game")
	if got := testid(doc, "game-job-progress").Text(); got != "reconfiguring 50%" {
		t.Errorf("the game page's job: %q", testid(doc, "game-job").Text())
	}

	// Cancel stops it; the game is still missing.
	if resp := admin.post(loc+"/cancel", nil); resp.StatusCode != 303 {
		t.Fatalf("cancel: %d", resp.StatusCode)
	}
	waitFor(t, "the install to end", func() bool {
		j, err := e.db.GetJob(context.Background(), id)
		return err == nil && j.State == store.JobCancelled
	})
	_, doc = admin.get("/")
	if testid(doc, "game-banner").AttrOr("data-state", "") != "missing" {
		t.Fatalf("banner after a cancelled install: %q", testid(doc, "game-banner").Text())
	}

	e.backend.HangGameInstall(false)
	loc = admin.post("/game/install", nil).Header.Get("Location")
	waitFor(t, "the second install to succeed", func() bool {
		j, err := e.db.GetJob(context.Background(), jobID(t, loc))
		return err == nil && j.State == store.JobSucceeded
	})
	_, doc = admin.get("/")
	if testid(doc, "game-banner").Length() != 0 {
		t.Fatalf("a banner with the game installed: %q", testid(doc, "game-banner").Text())
	}
	_, doc = admin.get("/game")
	if testid(doc, "game-installed").AttrOr("data-installed", "") != "true" || testid(doc, "game-build").Text() != fake.DefaultGameBuild ||
		testid(doc, "game-size").Text() != "10.2 GiB" || testid(doc, "game-update").Length() != 1 || testid(doc, "game-install").Length() != 0 {
		t.Fatalf("game page after the install: installed %q, build %q, size %q",
			testid(doc, "game-installed").Text(), testid(doc, "game-build").Text(), testid(doc, "game-size").Text())
	}
	rows := testid(doc, "job-row")
	if rows.Length() != 2 || rows.First().AttrOr("data-state", "") != "succeeded" || rows.Last().AttrOr("data-state", "") != "cancelled" {
		t.Fatalf("%d game jobs listed, want the install and the cancelled one", rows.Length())
	}
	if strings.Contains(testid(doc, "jobs").Find("thead").Text(), "Server") {
		t.Error("the game's jobs are listed with a server column")
	}
	if resp := admin.post("/servers/coop-1/start", nil); resp.StatusCode != 303 {
		t.Fatalf("start after the install: %d", resp.StatusCode)
	}
}

func TestUpdatingWithTheBoxTickedAsksToRestartTheServers(t *testing.T) {
	e := newEnv(t)
	admin := e.as(store.RoleAdmin)
	loc := admin.post("/game/update", url.Values{"restart_servers": {"on"}}).Header.Get("Location")
	j, err := e.db.GetJob(context.Background(), jobID(t, loc))
	if err != nil || j.Operation != store.OpGameUpdate || j.Options != store.OptionRestartServers {
		t.Fatalf("update with the box ticked: %+v, %v", j, err)
	}
	_, doc := admin.get(loc)
	if !strings.Contains(testid(doc, "job-options").Text(), "stops the running servers") {
		t.Error("the job's page does not say it restarts the servers")
	}
	loc = admin.post("/game/validate", nil).Header.Get("Location")
	if j, err = e.db.GetJob(context.Background(), jobID(t, loc)); err != nil || j.Operation != store.OpGameValidate || j.Options != "" {
		t.Fatalf("validate without the box: %+v, %v", j, err)
	}
}

func TestTheJobPageMeasuresTheRateBetweenTwoReadings(t *testing.T) {
	e := newEnv(t)
	admin := e.as(store.RoleAdmin)
	job, err := e.queue.EnqueueGame(context.Background(), jobs.GameParams{Operation: store.OpGameUpdate})
	if err != nil {
		t.Fatal(err)
	}
	// The job runs and reports 100 MiB of 1000 MiB downloaded, as its
	// worker would write it.
	progress := func(done int64) {
		t.Helper()
		_, err := e.db.Writer().DB.Exec(`UPDATE jobs SET state = 'running', attempts = 1, lease_until = ?,
			progress_phase = 'downloading', progress_percent = ?, progress_done = ?, progress_total = ? WHERE id = ?`,
			e.clock.Now().Add(time.Hour).UnixMilli(), float64(done)/float64(1000<<20)*100, done, 1000<<20, job.ID)
		if err != nil {
			t.Fatal(err)
		}
	}
	progress(100 << 20)
	poll := func(path string) (*goquery.Document, string) {
		t.Helper()
		_, doc := admin.get(path)
		next := testid(doc, "job-status").AttrOr("hx-get", "")
		if next == "" {
			t.Fatalf("%s does not poll", path)
		}
		return doc, next
	}
	doc, next := poll(jobURLOf(job.ID))
	if testid(doc, "job-progress-measuring").Length() != 1 || testid(doc, "job-progress-rate").Length() != 0 {
		t.Fatalf("one reading gives a rate: %q", testid(doc, "job-progress").Text())
	}

	e.clock.Advance(10 * time.Second)
	progress(200 << 20)
	doc, next = poll(next)
	if got := testid(doc, "job-progress-rate").Text(); got != "10.0 MiB/s" {
		t.Fatalf("100 MiB in 10 s: rate %q (%q)", got, testid(doc, "job-progress").Text())
	}
	if got := testid(doc, "job-progress-left").Text(); got != "about 1 min left in this phase" {
		t.Errorf("800 MiB at 10 MiB/s: %q", got)
	}
	if got := testid(doc, "job-progress-bytes").Text(); got != "200.0 MiB of 1000.0 MiB" {
		t.Errorf("bytes %q", got)
	}

	e.clock.Advance(time.Second)
	doc, next = poll(next)
	if got := testid(doc, "job-progress-rate").Text(); got != "10.0 MiB/s" {
		t.Errorf("a second later the last rate stands: %q", got)
	}
	e.clock.Advance(10 * time.Second)
	doc, _ = poll(next)
	if got := testid(doc, "job-progress-stalled").Text(); got != "no progress for 11s" || testid(doc, "job-progress-rate").Length() != 0 {
		t.Errorf("11 s without a byte: %q", testid(doc, "job-progress").Text())
	}
}

func TestSteamcmdsQuestionIsAnsweredOnTheJobPageAndKeptNowhere(t *testing.T) {
	logs := &logBuffer{}
	e := newEnvFake(t, store.Options{}, fake.Options{}, func(o *app.Options) { o.Logger = slog.New(slog.NewTextHandler(logs, nil)) })
	const code = "Q7X2K"
	e.backend.AskOnGameInstall("Steam Guard code:", code)
	e.startRunner(t)
	admin, op := e.as(store.RoleAdmin), e.as(store.RoleOperator)

	loc := admin.post("/game/install", nil).Header.Get("Location")
	id := jobID(t, loc)
	waitFor(t, "the question", func() bool {
		j, err := e.db.GetJob(context.Background(), id)
		return err == nil && j.Prompt != ""
	})
	_, doc := admin.get(loc)
	form := testid(doc, "job-answer-form")
	in := testid(doc, "job-answer")
	if form.AttrOr("action", "") != loc+"/answer" || form.AttrOr("method", "") != "post" || form.Find(`input[name="_csrf"]`).Length() != 1 ||
		in.AttrOr("type", "") != "password" || in.AttrOr("autocomplete", "") != "off" || in.AttrOr("name", "") != "answer" {
		html, _ := goquery.OuterHtml(form)
		t.Fatalf("the answer form: %s", html)
	}
	if got := testid(doc, "job-prompt").Text(); got != "Steam Guard code:" {
		t.Errorf("the question shown: %q", got)
	}
	_, opDoc := op.get(loc)
	if testid(opDoc, "job-prompt").Text() != "Steam Guard code:" || testid(opDoc, "job-answer-form").Length() != 0 {
		t.Error("an operator sees no question, or a form to answer it")
	}
	// The poll carries the question the page shows, and sends the form
	// again only when the question changed, so typing is never undone.
	next := testid(doc, "job-status").AttrOr("hx-get", "")
	if _, frag := admin.get(next); testid(frag, "job-prompt-region").Length() != 0 {
		t.Error("a poll replaced the answer form while the question stayed")
	}
	if _, frag := admin.get(loc + "/output?after=0"); testid(frag, "job-prompt-region").AttrOr("hx-swap-oob", "") != "true" {
		t.Error("a poll from a page without the question does not bring it")
	}

	for _, bad := range []string{"", code + "\nquit"} {
		code, doc := admin.postDoc(loc+"/answer", url.Values{"answer": {bad}})
		if code != 422 || strings.Contains(testid(doc, "error-message").Text(), "quit") {
			t.Errorf("answer %q: %d %q", bad, code, testid(doc, "error-message").Text())
		}
	}
	if resp := op.post(loc+"/answer", url.Values{"answer": {code}}); resp.StatusCode != 403 {
		t.Fatalf("an operator's answer: %d", resp.StatusCode)
	}
	if resp := admin.post(loc+"/answer", url.Values{"answer": {code}}); resp.StatusCode != 303 || resp.Header.Get("Location") != loc {
		t.Fatalf("the answer: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	waitFor(t, "the install to succeed", func() bool {
		j, err := e.db.GetJob(context.Background(), id)
		return err == nil && j.State == store.JobSucceeded
	})
	if resp := admin.post(loc+"/answer", url.Values{"answer": {code}}); resp.StatusCode != 409 {
		t.Fatalf("an answer to a job that asks nothing: %d", resp.StatusCode)
	}

	_, doc = admin.get(loc)
	if testid(doc, "job-answer-form").Length() != 0 {
		t.Error("a finished job still asks")
	}
	if strings.Contains(doc.Text(), code) || logs.count(code) != 0 {
		t.Error("the answer is on the job's page or in the log")
	}
	files, _ := filepath.Glob(e.db.Path() + "*") // the database, its WAL and shared memory
	if len(files) < 2 {
		t.Fatalf("database files: %v", files)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(code)) {
			t.Errorf("the answer is stored in %s", filepath.Base(f))
		}
	}
}

// jobID is the id in a job page's path.
func jobID(t *testing.T, path string) int64 {
	t.Helper()
	id, err := strconv.ParseInt(strings.TrimPrefix(path, "/jobs/"), 10, 64)
	if err != nil {
		t.Fatalf("not a job's page: %q", path)
	}
	return id
}

func jobURLOf(id int64) string { return "/jobs/" + itoa(id) }

func TestOnlyAnAdminCancelsAGameJob(t *testing.T) {
	e := newEnv(t)
	admin, op := e.as(store.RoleAdmin), e.as(store.RoleOperator)
	bot, _ := e.apiAs("bot", store.RoleOperator)
	loc := admin.post("/game/validate", nil).Header.Get("Location")

	if _, doc := op.get(loc); testid(doc, "job-cancel").Length() != 0 {
		t.Error("an operator is offered to cancel a game job")
	}
	if resp := op.post(loc+"/cancel", nil); resp.StatusCode != 403 {
		t.Fatalf("an operator's cancel: %d", resp.StatusCode)
	}
	var eb apiErrorBody
	bot.callJSON("POST", "/api/v1"+loc+"/cancel", nil, 403, &eb)
	if _, doc := admin.get(loc); testid(doc, "job-cancel").Length() != 1 {
		t.Fatal("an admin is not offered to cancel a game job")
	}
	if resp := admin.post(loc+"/cancel", nil); resp.StatusCode != 303 {
		t.Fatalf("an admin's cancel: %d", resp.StatusCode)
	}
	if j, err := e.db.GetJob(context.Background(), jobID(t, loc)); err != nil || j.State != store.JobCancelled {
		t.Fatalf("after the admin's cancel: %+v, %v", j, err)
	}
}

func TestTheGamePageShowsWhichServersStillRunAnOlderBuild(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	storetest.Server(t, e.db, "alpha", 27015)
	storetest.Server(t, e.db, "beta", 27016)
	storetest.Server(t, e.db, "idle", 27017)
	if _, err := e.db.Writer().NewRaw(`UPDATE servers SET actual_state = CASE name WHEN 'idle' THEN 'stopped' ELSE 'running' END`).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	old := fake.DefaultGameBuild
	for _, n := range []string{"alpha", "beta"} {
		if err := e.backend.Provision(ctx, hostbackend.InstanceSpec{Name: n, Port: 27015, Build: old}); err != nil {
			t.Fatal(err)
		}
	}
	e.backend.SetLatestBuild("16600000")
	if err := e.backend.GameInstall(ctx, false, hostbackend.GameEvents{}); err != nil {
		t.Fatal(err)
	}
	// beta started again on the new build.
	if err := e.backend.Provision(ctx, hostbackend.InstanceSpec{Name: "beta", Port: 27016, Build: "16600000"}); err != nil {
		t.Fatal(err)
	}

	admin := e.as(store.RoleAdmin)
	_, doc := admin.get("/game")
	var rows []string
	testid(doc, "game-build-row").Each(func(_ int, s *goquery.Selection) {
		cur, _ := s.Attr("data-current")
		rows = append(rows, s.AttrOr("data-build", "")+" "+cur+" "+strings.TrimSpace(s.Find(`[data-testid="game-build-row-servers"]`).Text()))
	})
	if want := []string{old + " false alpha", "16600000 true beta"}; strings.Join(rows, "|") != strings.Join(want, "|") {
		t.Fatalf("build rows %q, want %q", rows, want)
	}
	older := strings.Join(strings.Fields(testid(doc, "game-older-servers").Text()), " ")
	if !strings.HasPrefix(older, "alpha still runs an older build: restart to run build 16600000.") {
		t.Fatalf("older-build sentence %q", older)
	}

	api, _ := e.apiAs("ann", store.RoleAdmin)
	var g struct {
		Builds []struct {
			ID        string   `json:"id"`
			Current   bool     `json:"current"`
			SizeBytes int64    `json:"size_bytes"`
			Servers   []string `json:"servers"`
		} `json:"builds"`
		Older   []string `json:"older_build_servers"`
		Unknown []string `json:"unknown_build_servers"`
	}
	api.callJSON("GET", "/api/v1/game", nil, 200, &g)
	if len(g.Builds) != 2 || g.Builds[0].ID != old || g.Builds[0].Current || strings.Join(g.Builds[0].Servers, ",") != "alpha" ||
		!g.Builds[1].Current || g.Builds[1].SizeBytes == 0 || strings.Join(g.Older, ",") != "alpha" || g.Unknown == nil || len(g.Unknown) != 0 {
		t.Fatalf("GET /api/v1/game: %+v", g)
	}

	// A server whose build is unknown keeps every build, and the page says so.
	if err := e.backend.Provision(ctx, hostbackend.InstanceSpec{Name: "alpha", Port: 27015}); err != nil {
		t.Fatal(err)
	}
	_, doc = admin.get("/game")
	if s := testid(doc, "game-unknown-build").Text(); !strings.Contains(s, "which build alpha runs") {
		t.Fatalf("unknown-build sentence %q", s)
	}
}
