package app

import (
	"context"
	"time"

	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/views"
)

// The JSON shapes of the API. Field names are part of the API's contract
// (docs/api.md): add fields, never rename or remove them within v1.

// apiServer is one server.
type apiServer struct {
	Name         string `json:"name"`
	Title        string `json:"title"`
	Port         int    `json:"port"`
	Blueprint    string `json:"blueprint"`
	DesiredState string `json:"desired_state"`
	ActualState  string `json:"actual_state"`
	// StateReason says why actual_state is what it is.
	StateReason string `json:"state_reason"`
	// Drift spells out how actual differs from desired (views.Drift),
	// empty when they agree.
	Drift                string     `json:"drift"`
	Systemd              apiSystemd `json:"systemd"`
	ActualStateUpdatedAt *time.Time `json:"actual_state_updated_at"`
	CreatedAt            *time.Time `json:"created_at"`
	// RestartPending says the server runs (or is starting) with another
	// port or blueprint than it now has, or its blueprint changed since
	// it started: a restart applies the change.
	RestartPending bool `json:"restart_pending"`
	// Resources is what the server costs while it runs; null otherwise.
	Resources *apiResources `json:"resources"`
}

// apiSystemd is systemd's last answer about the server's unit.
type apiSystemd struct {
	Active    string `json:"active"`
	Sub       string `json:"sub"`
	Result    string `json:"result"`
	NRestarts int    `json:"n_restarts"`
	// Enabled is whether the unit starts at boot.
	Enabled bool `json:"enabled"`
}

// apiJob is one job.
type apiJob struct {
	ID        int64  `json:"id"`
	Server    string `json:"server"`
	Operation string `json:"operation"`
	State     string `json:"state"`
	// Reason says why the job failed or was cancelled.
	Reason     string     `json:"reason"`
	Attempts   int        `json:"attempts"`
	CreatedAt  *time.Time `json:"created_at"`
	StartedAt  *time.Time `json:"started_at"`
	FinishedAt *time.Time `json:"finished_at"`
	// Progress is the last progress the job reported (game jobs), nil
	// if none.
	Progress *apiProgress `json:"progress"`
	// Prompt is the question the job waits to have answered, "" if none.
	Prompt string `json:"prompt"`
}

// apiProgress is how far a job has got: the phase, its percent, and
// bytes done of total (nil when unknown).
type apiProgress struct {
	Phase      string   `json:"phase"`
	Percent    *float64 `json:"percent"`
	BytesDone  *int64   `json:"bytes_done"`
	BytesTotal *int64   `json:"bytes_total"`
}

// apiGame is the game installation.
type apiGame struct {
	Installed bool `json:"installed"`
	// BuildID is the installed build, "" when unknown.
	BuildID string `json:"buildid"`
	// LatestBuildID is the newest build the latest check named, "" if
	// none did.
	LatestBuildID   string     `json:"latest_buildid"`
	UpdateAvailable bool       `json:"update_available"`
	SizeBytes       int64      `json:"size_bytes"`
	Path            string     `json:"path"`
	Program         string     `json:"program"`
	UpdatedAt       *time.Time `json:"updated_at"`
	// Partial says an update was left half-finished.
	Partial    bool       `json:"partial"`
	CheckedAt  *time.Time `json:"checked_at"`
	CheckError string     `json:"check_error"`
	// StatusError says why the installation could not be read.
	StatusError string `json:"status_error"`
	// Job is the game job running, else the newest queued; nil if none.
	Job *apiJob `json:"job"`
	// Builds are the builds present, oldest first, with the servers
	// running each; OlderBuildServers run one that is not current;
	// UnknownBuildServers may run and their build is unknown.
	Builds              []apiGameBuild `json:"builds"`
	OlderBuildServers   []string       `json:"older_build_servers"`
	UnknownBuildServers []string       `json:"unknown_build_servers"`
}

// apiGameBuild is one build of the game on the host.
type apiGameBuild struct {
	ID        string     `json:"id"`
	Current   bool       `json:"current"`
	SizeBytes int64      `json:"size_bytes"`
	UpdatedAt *time.Time `json:"updated_at"`
	Servers   []string   `json:"servers"`
}

// apiJobLine is one line of a job's output.
type apiJobLine struct {
	Seq    int64      `json:"seq"`
	Stream string     `json:"stream"`
	Text   string     `json:"text"`
	At     *time.Time `json:"at"`
}

// apiHistoryEntry is one change of a server's actual_state.
type apiHistoryEntry struct {
	At       *time.Time `json:"at"`
	OldState string     `json:"old_state"`
	NewState string     `json:"new_state"`
	Reason   string     `json:"reason"`
}

// toAPIServers converts servers, naming their blueprints.
func (a *apiHandlers) toAPIServers(ctx context.Context, ss []store.Server) ([]apiServer, error) {
	bps, err := a.DB.ListBlueprints(ctx)
	if err != nil {
		return nil, err
	}
	byID := make(map[int64]*store.Blueprint, len(bps))
	for i := range bps {
		byID[bps[i].ID] = &bps[i]
	}
	next := a.svc.NextLayers(ctx)
	out := make([]apiServer, len(ss))
	for i, s := range ss {
		var bpName string
		if bp := byID[s.BlueprintID]; bp != nil {
			bpName = bp.Name
		}
		out[i] = apiServer{
			Name: s.Name, Title: s.Title, Port: s.Port, Blueprint: bpName, RestartPending: next.Pending(ctx, &s, byID[s.BlueprintID]),
			DesiredState: string(s.DesiredState), ActualState: string(s.ActualState), StateReason: s.StateReason,
			Drift:                views.Drift(s, time.Time{}, time.Time{}),
			Systemd:              apiSystemd{Active: s.SystemdActive, Sub: s.SystemdSub, Result: s.SystemdResult, NRestarts: s.NRestarts, Enabled: s.SystemdEnabled},
			ActualStateUpdatedAt: apiTime(s.ActualStateUpdatedAt),
			CreatedAt:            apiTime(s.CreatedAt),
			Resources:            toAPIResources(a.Resources, s.ID, a.Now()),
		}
	}
	return out, nil
}

func toAPIJob(j *store.Job) apiJob {
	out := apiJob{
		ID: j.ID, Server: j.ServerName, Operation: string(j.Operation), State: string(j.State), Reason: j.Error,
		Attempts: j.Attempts, CreatedAt: apiTime(j.CreatedAt), StartedAt: apiTime(j.StartedAt), FinishedAt: apiTime(j.FinishedAt),
	}
	if p := j.Progress; p.Phase != "" {
		out.Progress = &apiProgress{Phase: p.Phase, Percent: p.Percent, BytesDone: p.Done, BytesTotal: p.Total}
	}
	if !j.State.Finished() {
		out.Prompt = j.Prompt
	}
	return out
}

func toAPIGame(g views.Game) apiGame {
	out := apiGame{
		Installed: g.Status.Installed, BuildID: g.Status.BuildID, LatestBuildID: g.LatestBuild(),
		UpdateAvailable: g.UpdateAvailable(), SizeBytes: g.Status.SizeBytes, Path: g.Status.Path,
		Program: g.Status.Program, Partial: g.Status.Partial, StatusError: g.Err,
	}
	if !g.Status.UpdatedAt.IsZero() {
		t := g.Status.UpdatedAt.UTC()
		out.UpdatedAt = &t
	}
	if !g.Supported {
		out.StatusError = "This panel's host backend cannot install the game."
	}
	if g.Check != nil {
		out.CheckedAt, out.CheckError = apiTime(g.Check.CheckedAt), g.Check.Error
	}
	if g.Job != nil {
		j := toAPIJob(g.Job)
		out.Job = &j
	}
	return out
}
