package app_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/store/storetest"
)

// jobSeed is a job row written straight to the jobs table: started and
// finished are offsets from created (negative for never).
type jobSeed struct {
	server            string // "" for a game job
	serverID          *int64 // nil for a deleted server or the game
	op                store.Operation
	state             store.JobState
	by                *store.User
	started, finished time.Duration
}

// seedJob inserts j, created at the env's clock, and returns its id.
func (e *env) seedJob(j jobSeed) int64 {
	e.t.Helper()
	now := e.clock.Now()
	ms := func(d time.Duration) any {
		if d < 0 {
			return nil
		}
		return now.Add(d).UnixMilli()
	}
	var by, lease any
	if j.by != nil {
		by = j.by.ID
	}
	if j.state == store.JobRunning {
		lease = now.Add(time.Hour).UnixMilli()
	}
	res, err := e.db.Writer().DB.ExecContext(context.Background(),
		`INSERT INTO jobs (server_id, server_name, operation, state, requested_by, lease_until, created_at, started_at, finished_at)
		 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		j.serverID, j.server, j.op, j.state, by, lease, now.UnixMilli(), ms(j.started), ms(j.finished))
	if err != nil {
		e.t.Fatal(err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

// listedIDs are the job ids of the jobs page's rows, in order.
func listedIDs(t *testing.T, doc *goquery.Document) []int64 {
	t.Helper()
	var ids []int64
	testid(doc, "jobs-row").Each(func(_ int, s *goquery.Selection) {
		id, err := strconv.ParseInt(s.AttrOr("data-id", ""), 10, 64)
		if err != nil {
			t.Fatalf("row without a job id: %v", err)
		}
		ids = append(ids, id)
	})
	return ids
}

func TestJobsPageListsEveryJobNewestFirstWithItsDuration(t *testing.T) {
	e := newEnv(t)
	coop := storetest.Server(t, e.db, "coop-1", 27015)
	ann := e.user("ann", store.RoleAdmin)
	done := e.seedJob(jobSeed{server: "coop-1", serverID: &coop.ID, op: store.OpStart, state: store.JobSucceeded, by: ann,
		started: time.Second, finished: time.Second + 2*time.Minute + 5*time.Second})
	gone := e.seedJob(jobSeed{server: "old-1", op: store.OpDelete, state: store.JobSucceeded, by: ann, started: 0, finished: 4 * time.Second})
	game := e.seedJob(jobSeed{op: store.OpGameInstall, state: store.JobRunning, started: 0, finished: -1})
	cancelled := e.seedJob(jobSeed{server: "coop-1", serverID: &coop.ID, op: store.OpStop, state: store.JobCancelled, by: ann, started: -1, finished: time.Second})
	queued := e.seedJob(jobSeed{server: "coop-1", serverID: &coop.ID, op: store.OpRestart, state: store.JobQueued, by: ann, started: -1, finished: -1})
	e.clock.Advance(3 * time.Minute)

	status, doc := e.as(store.RoleOperator).get("/jobs")
	if status != http.StatusOK {
		t.Fatalf("GET /jobs: %d", status)
	}
	if got, want := listedIDs(t, doc), []int64{queued, cancelled, game, gone, done}; !slices.Equal(got, want) {
		t.Fatalf("rows %v, want %v (newest first)", got, want)
	}
	if testid(doc, "nav-jobs").AttrOr("href", "") != "/jobs" {
		t.Error("the navigation has no link to the jobs page")
	}
	row := func(id int64) *goquery.Selection {
		return doc.Find(`[data-testid="jobs-row"][data-id="` + itoa(id) + `"]`)
	}
	tests := []struct {
		name                 string
		id                   int64
		wantServer, wantLink string
		wantState, wantBy    string
		wantDuration         string
	}{
		{"a finished job took from its start to its end", done, "coop-1", "/servers/coop-1", "succeeded", "ann", "2 min 5 s"},
		{"a deleted server's job names it without a link", gone, "old-1 (deleted)", "", "succeeded", "ann", "4 s"},
		{"a game job is the game's, asked by the panel, running", game, "the game", "", "running", "the panel", "running for 3 min"},
		{"a job cancelled while queued did not run", cancelled, "coop-1", "/servers/coop-1", "cancelled", "ann", "did not run"},
		{"a queued job waits", queued, "coop-1", "/servers/coop-1", "queued", "ann", "waiting"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := row(tt.id)
			if r.Length() != 1 {
				t.Fatalf("no row for job %d", tt.id)
			}
			if got := r.Find(`[data-testid="jobs-row-link"]`).AttrOr("href", ""); got != "/jobs/"+itoa(tt.id) {
				t.Errorf("job link %q", got)
			}
			server := r.Find(`[data-testid="jobs-row-server"]`)
			if got := strings.Join(strings.Fields(server.Text()), " "); got != tt.wantServer {
				t.Errorf("server %q, want %q", got, tt.wantServer)
			}
			if got := server.Find("a").AttrOr("href", ""); got != tt.wantLink {
				t.Errorf("server link %q, want %q", got, tt.wantLink)
			}
			if got := r.Find(`[data-testid="jobs-row-state"]`).Text(); got != tt.wantState {
				t.Errorf("state %q, want %q", got, tt.wantState)
			}
			if got := r.Find(`[data-testid="jobs-row-by"]`).Text(); got != tt.wantBy {
				t.Errorf("asked by %q, want %q", got, tt.wantBy)
			}
			if got := r.Find(`[data-testid="jobs-row-duration"]`).Text(); got != tt.wantDuration {
				t.Errorf("duration %q, want %q", got, tt.wantDuration)
			}
			if r.Find("time[datetime]").Length() != 1 {
				t.Error("no <time> for when the job was asked for")
			}
		})
	}
	// An admin may open the game's page, so the game is a link for them.
	_, doc = e.as(store.RoleAdmin).get("/jobs")
	if got := doc.Find(`[data-testid="jobs-row"][data-id="`+itoa(game)+`"] [data-testid="jobs-row-server"] a`).AttrOr("href", ""); got != "/game" {
		t.Errorf("an admin's game link %q, want /game", got)
	}
}

func TestJobsPageFiltersFromTheAddress(t *testing.T) {
	e := newEnv(t)
	coop := storetest.Server(t, e.db, "coop-1", 27015)
	vs := storetest.Server(t, e.db, "vs-1", 27016)
	ann := e.user("ann", store.RoleAdmin)
	bob := e.user("bob", store.RoleOperator)
	j1 := e.seedJob(jobSeed{server: "coop-1", serverID: &coop.ID, op: store.OpStart, state: store.JobSucceeded, by: ann, started: 0, finished: time.Second})
	j2 := e.seedJob(jobSeed{server: "vs-1", serverID: &vs.ID, op: store.OpStart, state: store.JobFailed, by: bob, started: 0, finished: time.Second})
	j3 := e.seedJob(jobSeed{server: "coop-1", serverID: &coop.ID, op: store.OpStop, state: store.JobFailed, by: bob, started: 0, finished: time.Second})
	j4 := e.seedJob(jobSeed{op: store.OpGameCheck, state: store.JobSucceeded, started: 0, finished: time.Second})
	j5 := e.seedJob(jobSeed{server: "old-1", op: store.OpDelete, state: store.JobSucceeded, by: ann, started: 0, finished: time.Second})
	c := e.as(store.RoleOperator)

	tests := []struct {
		name  string
		query url.Values
		want  []int64
	}{
		{"a server", url.Values{"server": {"coop-1"}}, []int64{j3, j1}},
		{"a deleted server", url.Values{"server": {"old-1"}}, []int64{j5}},
		{"the game", url.Values{"server": {"_game"}}, []int64{j4}},
		{"an operation", url.Values{"operation": {"start"}}, []int64{j2, j1}},
		{"a state", url.Values{"state": {"failed"}}, []int64{j3, j2}},
		{"a user", url.Values{"user": {itoa(bob.ID)}}, []int64{j3, j2}},
		{"all four", url.Values{"server": {"coop-1"}, "operation": {"stop"}, "state": {"failed"}, "user": {itoa(bob.ID)}}, []int64{j3}},
		{"nothing matches", url.Values{"server": {"vs-1"}, "user": {itoa(ann.ID)}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, doc := c.get("/jobs?" + tt.query.Encode())
			if status != http.StatusOK {
				t.Fatalf("status %d", status)
			}
			if got := listedIDs(t, doc); !slices.Equal(got, tt.want) {
				t.Errorf("rows %v, want %v", got, tt.want)
			}
			if len(tt.want) == 0 && testid(doc, "jobs-none").Length() != 1 {
				t.Error("no sentence for an empty list")
			}
			// The form shows the filters it came with, so a reload or a
			// further change keeps them.
			for k := range tt.query {
				sel := doc.Find(`form[data-testid="jobs-filter"] select[name="` + k + `"] option[selected]`)
				if got := sel.AttrOr("value", ""); got != tt.query.Get(k) {
					t.Errorf("select %s shows %q, want %q", k, got, tt.query.Get(k))
				}
			}
			if testid(doc, "jobs-filter-clear").AttrOr("href", "") != "/jobs" {
				t.Error("no way back to every job")
			}
		})
	}
	// The form sends its selects left at "any" as empty values: the
	// address is tidied to the filters in use.
	for query, want := range map[string]string{
		"server=&operation=start&state=&user=": "/jobs?operation=start",
		"server=&operation=&state=&user=":      "/jobs",
	} {
		resp := c.do(httptest.NewRequest("GET", "/jobs?"+query, nil))
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != want {
			t.Errorf("GET /jobs?%s: %d to %q, want 303 to %s", query, resp.StatusCode, resp.Header.Get("Location"), want)
		}
	}
	_, doc := c.get("/jobs")
	if form := testid(doc, "jobs-filter"); form.AttrOr("method", "") != "get" || form.AttrOr("action", "") != "/jobs" {
		t.Errorf("the filter form is not a GET to /jobs: %s %s", form.AttrOr("method", ""), form.AttrOr("action", ""))
	}
}

func TestJobsPageRefusesFiltersItCannotUse(t *testing.T) {
	e := newEnv(t)
	coop := storetest.Server(t, e.db, "coop-1", 27015)
	e.seedJob(jobSeed{server: "coop-1", serverID: &coop.ID, op: store.OpStart, state: store.JobSucceeded, started: 0, finished: time.Second})
	c := e.as(store.RoleOperator)
	tests := []struct {
		name, query, want string
	}{
		{"a server name no server can have", "server=Coop%201", "The server filter must be a server's name"},
		{"an operation there is not", "operation=reboot", "The operation filter must be one of start"},
		{"a state there is not", "state=lost", "The state filter must be one of queued"},
		{"a user there is not", "user=999", "The user filter names nobody"},
		{"a name nobody has", "user=nobody", "The user filter names nobody"},
		{"a NUL in a name", "user=a%00b", "The user filter names nobody"},
		{"a cursor that is not a job number", "before=-3", "before must be a job number"},
		{"an after cursor that is not a number", "after=x", "after must be a job number"},
		{"both cursors", "before=5&after=2", "not both"},
		{"a NUL", "server=a%00b", "The server filter must be a server's name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, doc := c.get("/jobs?" + tt.query)
			if status != http.StatusUnprocessableEntity {
				t.Errorf("status %d, want 422", status)
			}
			if got := testid(doc, "jobs-error").Text(); !strings.Contains(got, tt.want) {
				t.Errorf("message %q, want it to contain %q", got, tt.want)
			}
			if testid(doc, "jobs-list").Length() != 0 {
				t.Error("a list of jobs under filters that cannot be used")
			}
			if testid(doc, "jobs-filter").Length() != 1 {
				t.Error("no form to fix the filters")
			}
		})
	}
}

func TestJobsPagePagesWithAnIDCursor(t *testing.T) {
	e := newEnv(t)
	coop := storetest.Server(t, e.db, "coop-1", 27015)
	var ids, stops []int64
	for i := range 120 {
		op := store.OpStart
		if i%2 == 1 {
			op = store.OpStop
		}
		id := e.seedJob(jobSeed{server: "coop-1", serverID: &coop.ID, op: op, state: store.JobSucceeded, started: 0, finished: time.Second})
		ids = append(ids, id)
		if op == store.OpStop {
			stops = append(stops, id)
		}
	}
	slices.Reverse(ids)
	slices.Reverse(stops)
	c := e.as(store.RoleOperator)

	// page walks from path along the link named next until there is none
	// and returns the pages' ids.
	page := func(path, next string) (pages [][]int64, paths []string) {
		t.Helper()
		for path != "" && len(pages) < 10 {
			status, doc := c.get(path)
			if status != http.StatusOK {
				t.Fatalf("GET %s: %d", path, status)
			}
			pages, paths = append(pages, listedIDs(t, doc)), append(paths, path)
			path = testid(doc, next).AttrOr("href", "")
		}
		return pages, paths
	}
	pages, paths := page("/jobs", "jobs-older")
	if want := [][]int64{ids[:50], ids[50:100], ids[100:]}; !slices.EqualFunc(pages, want, slices.Equal) {
		t.Fatalf("older pages %v, want %v", pages, want)
	}
	if want := "/jobs?before=" + itoa(ids[49]); paths[1] != want {
		t.Errorf("the second page is %s, want %s", paths[1], want)
	}
	// Back from the last page, newer and newer, to the first page, which
	// has no newer link.
	back, _ := page(paths[2], "jobs-newer")
	if want := [][]int64{ids[100:], ids[50:100], ids[:50]}; !slices.EqualFunc(back, want, slices.Equal) {
		t.Fatalf("newer pages %v, want %v", back, want)
	}
	_, first := c.get("/jobs")
	if testid(first, "jobs-newer").Length() != 0 {
		t.Error("the first page links newer jobs")
	}
	// A filter rides the links.
	pages, paths = page("/jobs?operation=stop", "jobs-older")
	if want := [][]int64{stops[:50], stops[50:]}; !slices.EqualFunc(pages, want, slices.Equal) {
		t.Fatalf("filtered pages %v, want %v", pages, want)
	}
	if want := "/jobs?before=" + itoa(stops[49]) + "&operation=stop"; paths[1] != want {
		t.Errorf("the filtered second page is %s, want %s", paths[1], want)
	}
	// A newer page that reaches the newest job is the first page, full:
	// jobs asked for since are on it, none is left out.
	_, doc := c.get("/jobs?before=" + itoa(ids[40]))
	for range 3 {
		ids = append([]int64{e.seedJob(jobSeed{server: "coop-1", serverID: &coop.ID, op: store.OpStart, state: store.JobQueued, started: -1, finished: -1})}, ids...)
	}
	_, doc = c.get(testid(doc, "jobs-newer").AttrOr("href", ""))
	if got := listedIDs(t, doc); !slices.Equal(got, ids[:50]) {
		t.Errorf("newer from the middle: %v, want the first page %v", got, ids[:50])
	}
}

func TestJobPageShowsHowLongTheJobTookOrHasRun(t *testing.T) {
	e := newEnv(t)
	coop := storetest.Server(t, e.db, "coop-1", 27015)
	done := e.seedJob(jobSeed{server: "coop-1", serverID: &coop.ID, op: store.OpStart, state: store.JobSucceeded, started: time.Second, finished: time.Hour + 4*time.Minute})
	running := e.seedJob(jobSeed{server: "coop-1", serverID: &coop.ID, op: store.OpStop, state: store.JobRunning, started: 0, finished: -1})
	queued := e.seedJob(jobSeed{server: "coop-1", serverID: &coop.ID, op: store.OpRestart, state: store.JobQueued, started: -1, finished: -1})
	e.clock.Advance(2*time.Minute + 5*time.Second)
	c := e.as(store.RoleOperator)
	for _, tt := range []struct {
		name string
		id   int64
		want string
	}{
		{"a finished job", done, "after 1 h 3 min"},
		{"a running job", running, "running for 2 min 5 s"},
		{"a queued job has none", queued, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, doc := c.get("/jobs/" + itoa(tt.id))
			if got := strings.Join(strings.Fields(testid(doc, "job-duration").Text()), " "); got != tt.want {
				t.Errorf("duration %q, want %q", got, tt.want)
			}
			// The polled status says the same.
			_, frag := c.get("/jobs/" + itoa(tt.id) + "/output")
			if got := strings.Join(strings.Fields(testid(frag, "job-duration").Text()), " "); got != tt.want {
				t.Errorf("polled duration %q, want %q", got, tt.want)
			}
		})
	}
}
