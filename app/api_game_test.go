package app_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/left4me/left4me/hostbackend/fake"
	"github.com/left4me/left4me/store"
)

// apiGame is GET /api/v1/game's answer.
type apiGame struct {
	Installed       bool       `json:"installed"`
	BuildID         string     `json:"buildid"`
	LatestBuildID   string     `json:"latest_buildid"`
	UpdateAvailable bool       `json:"update_available"`
	SizeBytes       int64      `json:"size_bytes"`
	Path            string     `json:"path"`
	Program         string     `json:"program"`
	UpdatedAt       *time.Time `json:"updated_at"`
	CheckedAt       *time.Time `json:"checked_at"`
	Job             *apiJobNow `json:"job"`
}

// apiJobNow is a job with what it reports while it runs.
type apiJobNow struct {
	ID        int64  `json:"id"`
	Server    string `json:"server"`
	Operation string `json:"operation"`
	State     string `json:"state"`
	Prompt    string `json:"prompt"`
	Progress  *struct {
		Phase      string   `json:"phase"`
		Percent    *float64 `json:"percent"`
		BytesDone  *int64   `json:"bytes_done"`
		BytesTotal *int64   `json:"bytes_total"`
	} `json:"progress"`
}

func TestAPIInstallsChecksAndReportsTheGame(t *testing.T) {
	e := newEnvWithoutGame(t)
	e.startRunner(t)
	admin, _ := e.apiAs("ann", store.RoleAdmin)
	op, _ := e.apiAs("bob", store.RoleOperator)

	var g apiGame
	op.callJSON("GET", "/api/v1/game", nil, 200, &g)
	if g.Installed || g.BuildID != "" || g.Path != "/var/lib/left4me/game" || g.Program != "/var/lib/left4me/game/srcds_run" || g.Job != nil || g.CheckedAt != nil {
		t.Fatalf("without the game: %+v", g)
	}
	var eb apiErrorBody
	op.callJSON("POST", "/api/v1/game/install", nil, 403, &eb)

	resp := admin.send("POST", "/api/v1/game/install", nil, "")
	var j apiJobNow
	if err := json.NewDecoder(resp.Body).Decode(&j); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 202 || resp.Header.Get("Location") != "/api/v1/jobs/"+itoa(j.ID) || j.Operation != "game-install" || j.Server != "" {
		t.Fatalf("install: %d %s %+v", resp.StatusCode, resp.Header.Get("Location"), j)
	}
	if done := admin.follow(t, j.ID); done.State != "succeeded" {
		t.Fatalf("install job %+v", done)
	}
	admin.callJSON("GET", "/api/v1/jobs/"+itoa(j.ID), nil, 200, &j)
	if p := j.Progress; p == nil || p.Phase != "committing" || p.Percent == nil || *p.Percent != 100 || p.BytesDone == nil || p.BytesTotal == nil ||
		*p.BytesDone != *p.BytesTotal {
		t.Fatalf("the finished install's last progress: %+v", p)
	}
	op.callJSON("GET", "/api/v1/game", nil, 200, &g)
	if !g.Installed || g.BuildID != fake.DefaultGameBuild || g.SizeBytes != 10_912_614_400 || g.UpdatedAt == nil || g.LatestBuildID != "" || g.UpdateAvailable {
		t.Fatalf("after the install: %+v", g)
	}

	e.backend.SetLatestBuild("16600000")
	admin.callJSON("POST", "/api/v1/game/check", nil, 202, &j)
	admin.follow(t, j.ID)
	op.callJSON("GET", "/api/v1/game", nil, 200, &g)
	if g.LatestBuildID != "16600000" || !g.UpdateAvailable || g.CheckedAt == nil {
		t.Fatalf("after a check that found a newer build: %+v", g)
	}

	before := e.counts()
	admin.callJSON("POST", "/api/v1/game/check", `{"restart_servers": true}`, 422, &eb)
	if eb.Fields["restart_servers"] == "" {
		t.Errorf("a check that would restart servers: %+v", eb)
	}
	admin.callJSON("POST", "/api/v1/game/update", `{"restart_servers": "yes"}`, 400, &eb)
	admin.callJSON("POST", "/api/v1/game/reinstall", nil, 404, &eb)
	if after := e.counts(); after != before {
		t.Fatalf("refused requests changed %s to %s", before, after)
	}
	admin.callJSON("POST", "/api/v1/game/update", `{"restart_servers": true}`, 202, &j)
	if got, err := e.db.GetJob(context.Background(), j.ID); err != nil || got.Options != store.OptionRestartServers {
		t.Fatalf("update with restart_servers: %+v, %v", got, err)
	}
}

func TestAPIAnswersSteamcmdsQuestion(t *testing.T) {
	e := newEnvWithoutGame(t)
	const code = "Q7X2K"
	e.backend.AskOnGameInstall("Steam Guard code:", code)
	e.startRunner(t)
	admin, _ := e.apiAs("ann", store.RoleAdmin)
	op, _ := e.apiAs("bob", store.RoleOperator)

	var j apiJobNow
	admin.callJSON("POST", "/api/v1/game/install", nil, 202, &j)
	id := j.ID
	waitFor(t, "the question", func() bool {
		admin.callJSON("GET", "/api/v1/jobs/"+itoa(id), nil, 200, &j)
		return j.Prompt != ""
	})
	if j.Prompt != "Steam Guard code:" {
		t.Fatalf("prompt %q", j.Prompt)
	}
	var g apiGame
	op.callJSON("GET", "/api/v1/game", nil, 200, &g)
	if g.Job == nil || g.Job.ID != id || g.Job.Prompt != "Steam Guard code:" {
		t.Fatalf("the game's job: %+v", g.Job)
	}

	var eb apiErrorBody
	path := "/api/v1/jobs/" + itoa(id) + "/answer"
	admin.callJSON("POST", path, `{"answer": 24680}`, 400, &eb)
	admin.callJSON("POST", path, nil, 400, &eb)
	admin.callJSON("POST", path, `{"answer": "`+code+`\nquit"}`, 422, &eb)
	if eb.Fields["answer"] == "" || strings.Contains(eb.Error, code) {
		t.Errorf("an answer with a line break: %+v", eb)
	}
	op.callJSON("POST", path, `{"answer": "`+code+`"}`, 403, &eb)
	admin.callJSON("POST", "/api/v1/jobs/999/answer", `{"answer": "`+code+`"}`, 404, &eb)
	admin.callJSON("POST", path, `{"answer": "`+code+`"}`, 200, &j)
	if done := admin.follow(t, id); done.State != "succeeded" {
		t.Fatalf("the install after the answer: %+v", done)
	}
	admin.callJSON("POST", path, `{"answer": "`+code+`"}`, 409, &eb)
	if !strings.Contains(eb.Error, "not waiting") || strings.Contains(eb.Error, code) {
		t.Errorf("an answer nobody waits for: %q", eb.Error)
	}
	admin.callJSON("GET", "/api/v1/jobs/"+itoa(id), nil, 200, &j)
	if j.Prompt != "" {
		t.Errorf("a finished job still asks %q", j.Prompt)
	}
}
