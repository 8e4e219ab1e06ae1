package app_test

import (
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/store/storetest"
)

// apiJobsPage is GET /api/v1/jobs's answer.
type apiJobsPage struct {
	Jobs []struct {
		ID          int64      `json:"id"`
		Server      string     `json:"server"`
		Operation   string     `json:"operation"`
		State       string     `json:"state"`
		StartedAt   *time.Time `json:"started_at"`
		FinishedAt  *time.Time `json:"finished_at"`
		RequestedBy string     `json:"requested_by"`
	} `json:"jobs"`
	Older *string `json:"older"`
	Newer *string `json:"newer"`
}

func (p apiJobsPage) ids() []int64 {
	var ids []int64
	for _, j := range p.Jobs {
		ids = append(ids, j.ID)
	}
	return ids
}

func TestAPIListsJobsWithTheJobsPagesFilters(t *testing.T) {
	e := newEnv(t)
	coop := storetest.Server(t, e.db, "coop-1", 27015)
	op, bob := e.apiAs("bob", store.RoleOperator)
	j1 := e.seedJob(jobSeed{server: "coop-1", serverID: &coop.ID, op: store.OpStart, state: store.JobSucceeded, by: bob, started: 0, finished: time.Second})
	j2 := e.seedJob(jobSeed{op: store.OpGameCheck, state: store.JobFailed, started: 0, finished: time.Second})
	j3 := e.seedJob(jobSeed{server: "coop-1", serverID: &coop.ID, op: store.OpStop, state: store.JobQueued, by: bob, started: -1, finished: -1})

	var all apiJobsPage
	op.callJSON("GET", "/api/v1/jobs", nil, 200, &all)
	if got, want := all.ids(), []int64{j3, j2, j1}; !slices.Equal(got, want) {
		t.Fatalf("jobs %v, want %v", got, want)
	}
	if all.Older != nil || all.Newer != nil {
		t.Errorf("one page links others: older %v, newer %v", all.Older, all.Newer)
	}
	first := all.Jobs[2]
	if first.Server != "coop-1" || first.Operation != "start" || first.State != "succeeded" || first.RequestedBy != "bob" ||
		first.StartedAt == nil || first.FinishedAt == nil {
		t.Errorf("job %d: %+v", j1, first)
	}
	if all.Jobs[1].RequestedBy != "the panel" {
		t.Errorf("the game check was asked by %q", all.Jobs[1].RequestedBy)
	}

	for _, tt := range []struct {
		name  string
		query url.Values
		want  []int64
	}{
		{"a server", url.Values{"server": {"coop-1"}}, []int64{j3, j1}},
		{"the game", url.Values{"server": {"_game"}}, []int64{j2}},
		{"a state", url.Values{"state": {"queued"}}, []int64{j3}},
		{"an operation and a user", url.Values{"operation": {"start"}, "user": {itoa(bob.ID)}}, []int64{j1}},
		{"a user by name", url.Values{"user": {"bob"}}, []int64{j3, j1}},
		{"older than a job", url.Values{"before": {itoa(j3)}}, []int64{j2, j1}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var p apiJobsPage
			op.callJSON("GET", "/api/v1/jobs?"+tt.query.Encode(), nil, 200, &p)
			if got := p.ids(); !slices.Equal(got, tt.want) {
				t.Errorf("jobs %v, want %v", got, tt.want)
			}
		})
	}

	for _, tt := range []struct{ name, query, want string }{
		{"an unknown state", "state=lost", "The state filter must be one of"},
		{"a bad server name", "server=A", "The server filter must be a server's name"},
		{"a bad cursor", "before=0", "before must be a job number"},
		{"a user nobody is", "user=zed", "The user filter names nobody"},
	} {
		t.Run("refuses "+tt.name, func(t *testing.T) {
			var eb apiErrorBody
			op.callJSON("GET", "/api/v1/jobs?"+tt.query, nil, 400, &eb)
			if !strings.Contains(eb.Error, tt.want) {
				t.Errorf("error %q, want %q", eb.Error, tt.want)
			}
		})
	}
}

func TestAPIJobsPagesLinkEachOther(t *testing.T) {
	e := newEnv(t)
	coop := storetest.Server(t, e.db, "coop-1", 27015)
	op, _ := e.apiAs("bob", store.RoleOperator)
	var ids []int64
	for range 60 {
		ids = append(ids, e.seedJob(jobSeed{server: "coop-1", serverID: &coop.ID, op: store.OpStart, state: store.JobSucceeded, started: 0, finished: time.Second}))
	}
	slices.Reverse(ids)
	var p1, p2, back apiJobsPage
	op.callJSON("GET", "/api/v1/jobs?server=coop-1", nil, 200, &p1)
	if !slices.Equal(p1.ids(), ids[:50]) || p1.Older == nil || p1.Newer != nil {
		t.Fatalf("first page %v, older %v, newer %v", p1.ids(), p1.Older, p1.Newer)
	}
	if want := "/api/v1/jobs?before=" + itoa(ids[49]) + "&server=coop-1"; *p1.Older != want {
		t.Errorf("older link %s, want %s", *p1.Older, want)
	}
	op.callJSON("GET", *p1.Older, nil, 200, &p2)
	if !slices.Equal(p2.ids(), ids[50:]) || p2.Older != nil || p2.Newer == nil {
		t.Fatalf("second page %v, older %v, newer %v", p2.ids(), p2.Older, p2.Newer)
	}
	op.callJSON("GET", *p2.Newer, nil, 200, &back)
	if !slices.Equal(back.ids(), ids[:50]) {
		t.Errorf("back to %v, want %v", back.ids(), ids[:50])
	}
}
