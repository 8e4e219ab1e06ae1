package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// panelAPI drives the panel through its JSON API (docs/api.md), as a
// script or bot would. Requests go with curl inside the container: the
// panel listens on its own loopback, and the container has no other
// network.
type panelAPI struct {
	b *bed
	// tokenHeader is a file in the container holding the line
	// "Authorization: Bearer TOKEN", once createToken has made one; curl
	// reads it from there, so the token never shows in a process list and
	// never passes through this program.
	tokenHeader string

	mu sync.Mutex
	// answers holds every answer the panel gave, for the check that the
	// RCON password is in none (live.go).
	answers strings.Builder
	// lastOutput is the output of the job follow followed last.
	lastOutput []string
}

// panelURL is the panel inside the container (left4me's default address).
const panelURL = "http://127.0.0.1:8080"

// tokenFile is where createToken keeps the header line, readable by root
// only.
const tokenFile = "/root/.left4me-token"

// apiServer is the part of the API's server that the checks read.
type apiServer struct {
	Name         string `json:"name"`
	Port         int    `json:"port"`
	Blueprint    string `json:"blueprint"`
	DesiredState string `json:"desired_state"`
	ActualState  string `json:"actual_state"`
	StateReason  string `json:"state_reason"`
	Drift        string `json:"drift"`
	Systemd      struct {
		Active    string `json:"active"`
		Sub       string `json:"sub"`
		Result    string `json:"result"`
		NRestarts int    `json:"n_restarts"`
		Enabled   bool   `json:"enabled"`
	} `json:"systemd"`
	ActualStateUpdatedAt *time.Time `json:"actual_state_updated_at"`
}

func (s apiServer) String() string {
	return fmt.Sprintf("actual_state %s (%s), desired %s, systemd %s/%s result %s, n_restarts %d",
		s.ActualState, s.StateReason, s.DesiredState, s.Systemd.Active, s.Systemd.Sub, s.Systemd.Result, s.Systemd.NRestarts)
}

// apiJob is a job with the output lines after ?after=.
type apiJob struct {
	ID        int64  `json:"id"`
	Server    string `json:"server"`
	Operation string `json:"operation"`
	State     string `json:"state"`
	Reason    string `json:"reason"`
	Lines     []struct {
		Seq  int64  `json:"seq"`
		Text string `json:"text"`
	} `json:"lines"`
	After int64 `json:"after"`
}

// historyEntry is one change of actual_state.
type historyEntry struct {
	At       time.Time `json:"at"`
	OldState string    `json:"old_state"`
	NewState string    `json:"new_state"`
	Reason   string    `json:"reason"`
}

func (h historyEntry) String() string {
	return fmt.Sprintf("%s %s → %s (%s)", h.At.Format("15:04:05.000"), h.OldState, h.NewState, h.Reason)
}

// apiError is the API's error answer.
type apiError struct {
	Error  string            `json:"error"`
	Fields map[string]string `json:"fields"`
}

// call sends one request to the panel with curl inside the container,
// body encoded as JSON (when not nil) and the token when there is one,
// and decodes a JSON answer into out (when not nil). It returns the HTTP
// status.
func (p *panelAPI) call(ctx context.Context, method, path string, body, out any) (int, error) {
	var in []byte
	argv := []string{"curl", "-sS", "--max-time", "30", "-X", method,
		"-H", "Accept: application/json", "-w", "\n%{http_code}"}
	if p.tokenHeader != "" {
		argv = append(argv, "-H", "@"+p.tokenHeader)
	}
	if body != nil {
		var err error
		if in, err = json.Marshal(body); err != nil {
			return 0, err
		}
		argv = append(argv, "-H", "Content-Type: application/json", "--data-binary", "@-")
	}
	res := p.b.c.exec(ctx, string(in), append(argv, panelURL+path)...)
	if res.code != 0 {
		return 0, fmt.Errorf("%s %s: %s", method, path, res)
	}
	p.mu.Lock()
	p.answers.WriteString(res.out)
	p.answers.WriteByte('\n')
	p.mu.Unlock()
	i := strings.LastIndexByte(res.out, '\n')
	status, err := strconv.Atoi(strings.TrimSpace(res.out[i+1:]))
	if err != nil {
		return 0, fmt.Errorf("%s %s: no status in %q", method, path, res.out)
	}
	if out != nil && i > 0 {
		if err := json.Unmarshal([]byte(res.out[:i]), out); err != nil {
			return status, fmt.Errorf("%s %s: %d, %v in %q", method, path, status, err, res.out[:i])
		}
	}
	return status, nil
}

// putRaw PUTs body as raw bytes (an add-on set's file) and wants 200;
// the JSON answer goes into out.
func (p *panelAPI) putRaw(ctx context.Context, path, body string, out any) error {
	argv := []string{"curl", "-sS", "--max-time", "30", "-X", "PUT", "-H", "Accept: application/json",
		"-H", "Content-Type: application/octet-stream", "-w", "\n%{http_code}", "--data-binary", "@-"}
	if p.tokenHeader != "" {
		argv = append(argv, "-H", "@"+p.tokenHeader)
	}
	res := p.b.c.exec(ctx, body, append(argv, panelURL+path)...)
	if res.code != 0 {
		return fmt.Errorf("PUT %s: %s", path, res)
	}
	i := strings.LastIndexByte(res.out, '\n')
	if i < 0 || strings.TrimSpace(res.out[i+1:]) != "200" {
		return fmt.Errorf("PUT %s answered %q, want 200", path, res.out)
	}
	return json.Unmarshal([]byte(res.out[:i]), out)
}

// expect sends a request and wants the status want; the answer goes into
// out. A different status is an error that carries the API's sentence.
func (p *panelAPI) expect(ctx context.Context, want int, method, path string, body, out any) error {
	var raw json.RawMessage
	status, err := p.call(ctx, method, path, body, &raw)
	if err != nil {
		return err
	}
	if status != want {
		return fmt.Errorf("%s %s answered %d, want %d: %s", method, path, status, want, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("%s %s: %v in %s", method, path, err, raw)
		}
	}
	return nil
}

// createToken: step 1. The admin's token comes from left4me create-token,
// run as left4me as the docs say (the binary's default LEFT4ME_DB is the
// web unit's), straight into a 0600 header file, so the token never
// leaves the container. It returns whether the token works.
func (p *panelAPI) createToken(ctx context.Context) bool {
	script := `set -e
umask 077
token=$(sudo -u left4me -- left4me create-token ` + adminName + ` e2e)
case $token in l4m_*) ;; *) echo "not a token: $token" >&2; exit 1 ;; esac
printf 'Authorization: Bearer %s\n' "$token" >` + tokenFile
	res := p.b.sh(ctx, script)
	if !p.b.r.check("sudo -u left4me left4me create-token "+adminName+" e2e prints an l4m_ token (kept in a 0600 file)", codeIs(res, 0)) {
		return false
	}
	var e apiError
	status, err := p.call(ctx, "GET", "/api/v1/servers", nil, &e)
	if err == nil && status != 401 {
		err = fmt.Errorf("answered %d without a token, want 401", status)
	}
	p.b.r.check("GET /api/v1/servers without a token: 401", err)
	p.tokenHeader = tokenFile
	var list struct {
		Servers []apiServer `json:"servers"`
	}
	err = p.expect(ctx, 200, "GET", "/api/v1/servers", nil, &list)
	if err == nil && len(list.Servers) != 0 {
		err = fmt.Errorf("servers: %+v, want none", list.Servers)
	}
	return p.b.r.check("GET /api/v1/servers with the token: 200, no servers yet", err)
}

// createServer: step 2, create the instance through the API with the
// default blueprint and a fixed port.
func (p *panelAPI) createServer(ctx context.Context) bool {
	var s apiServer
	err := p.expect(ctx, 201, "POST", "/api/v1/servers",
		map[string]any{"name": name, "title": "e2e co-op", "blueprint": "default", "port": port}, &s)
	// actual_state is unknown until the poller has asked systemd.
	if err == nil && (s.Name != name || s.Port != port || s.Blueprint != "default" || s.DesiredState != "stopped" ||
		(s.ActualState != "unknown" && s.ActualState != "stopped")) {
		err = fmt.Errorf("got %+v", s)
	}
	if !p.b.r.check(fmt.Sprintf("POST /api/v1/servers %s (default blueprint, port %d): 201, desired stopped, actual %s", name, port, s.ActualState), err) {
		return false
	}
	_, ok := p.saysState(ctx, "stopped", time.Time{}, "after create")
	return ok
}

// refusesHostileName: step 7, the API refuses a bad name before anything
// reaches the host.
func (p *panelAPI) refusesHostileName(ctx context.Context) {
	var e apiError
	err := p.expect(ctx, 422, "POST", "/api/v1/servers", map[string]any{"name": "../x", "port": port + 1}, &e)
	if err == nil && e.Fields["name"] == "" {
		err = fmt.Errorf("no sentence for the name field: %+v", e)
	}
	p.b.r.check(`POST /api/v1/servers {"name": "../x"}: 422 with a sentence for name`, err)
}

// action asks for start, stop or restart (POST) or delete (DELETE) and
// follows the job to its end; it checks that the job succeeded.
func (p *panelAPI) action(ctx context.Context, op string) bool {
	return p.actionOn(ctx, name, op)
}

// actionOn is action for the server called server.
func (p *panelAPI) actionOn(ctx context.Context, server, op string) bool {
	method, path := "POST", "/api/v1/servers/"+server+"/"+op
	if op == "delete" {
		method, path = "DELETE", "/api/v1/servers/"+server
	}
	var job apiJob
	err := p.expect(ctx, 202, method, path, nil, &job)
	if err == nil && (job.Operation != op || job.Server != server) {
		err = fmt.Errorf("got a job for %s %s", job.Operation, job.Server)
	}
	if err == nil {
		job, err = p.follow(ctx, job.ID)
	}
	if err == nil && job.State != "succeeded" {
		err = fmt.Errorf("job %d ended %s: %s", job.ID, job.State, job.Reason)
	}
	return p.b.r.check(fmt.Sprintf("%s %s: 202, job followed with ?after= to succeeded", method, path), err)
}

// follow polls the job with ?after= until it ends, printing its lines.
func (p *panelAPI) follow(ctx context.Context, id int64) (apiJob, error) {
	var job apiJob
	after := int64(0)
	p.mu.Lock()
	p.lastOutput = nil
	p.mu.Unlock()
	err := waitFor(ctx, 90*time.Second, func() error {
		job = apiJob{}
		if err := p.expect(ctx, 200, "GET", fmt.Sprintf("/api/v1/jobs/%d?after=%d", id, after), nil, &job); err != nil {
			return err
		}
		for _, l := range job.Lines {
			p.b.r.note("  job %d: %s", id, l.Text)
			p.mu.Lock()
			p.lastOutput = append(p.lastOutput, l.Text)
			p.mu.Unlock()
		}
		after = job.After
		switch job.State {
		case "succeeded", "failed", "cancelled":
			return nil
		}
		return fmt.Errorf("job %d is %s", id, job.State)
	})
	return job, err
}

// server is the API's answer about the instance.
func (p *panelAPI) server(ctx context.Context) (apiServer, error) {
	return p.serverNamed(ctx, name)
}

// serverNamed is the API's answer about the server called n.
func (p *panelAPI) serverNamed(ctx context.Context, n string) (apiServer, error) {
	var s apiServer
	err := p.expect(ctx, 200, "GET", "/api/v1/servers/"+n, nil, &s)
	return s, err
}

// waitServer polls the API until ok accepts the server or within passes;
// it returns the last answer and, on a timeout, why.
func (p *panelAPI) waitServer(ctx context.Context, within time.Duration, ok func(apiServer) error) (apiServer, error) {
	var s apiServer
	err := waitFor(ctx, within, func() error {
		var err error
		if s, err = p.server(ctx); err != nil {
			return err
		}
		return ok(s)
	})
	return s, err
}

// saysState checks that the panel's actual_state becomes want within one
// poll interval and some slack, and, when since is not zero, that the
// panel looked at systemd after since (actual_state_updated_at; the
// poller writes it on every look).
func (p *panelAPI) saysState(ctx context.Context, want string, since time.Time, when string) (apiServer, bool) {
	t := time.Now()
	s, err := p.waitServer(ctx, pollInterval+pollSlack, func(s apiServer) error {
		if s.ActualState != want {
			return fmt.Errorf("the API says %s", s)
		}
		if !since.IsZero() && (s.ActualStateUpdatedAt == nil || s.ActualStateUpdatedAt.Before(since)) {
			return fmt.Errorf("the API says %s, but last looked at %v, before %s", want, s.ActualStateUpdatedAt, since.Format(time.RFC3339Nano))
		}
		return nil
	})
	what := fmt.Sprintf("GET /api/v1/servers/%s: actual_state %s within %s %s", name, want, pollInterval+pollSlack, when)
	if err == nil {
		what += fmt.Sprintf(" (took %s)", time.Since(t).Round(100*time.Millisecond))
	}
	return s, p.b.r.check(what, err)
}

// history returns the server's changes since since, oldest first.
func (p *panelAPI) history(ctx context.Context, since time.Time) ([]historyEntry, error) {
	return p.historyOf(ctx, name, since)
}

// historyOf returns the changes of the server called n since since,
// oldest first.
func (p *panelAPI) historyOf(ctx context.Context, n string, since time.Time) ([]historyEntry, error) {
	var h struct {
		History []historyEntry `json:"history"`
	}
	if err := p.expect(ctx, 200, "GET", "/api/v1/servers/"+n+"/history", nil, &h); err != nil {
		return nil, err
	}
	var out []historyEntry
	for i := len(h.History) - 1; i >= 0; i-- {
		if !h.History[i].At.Before(since.Truncate(time.Millisecond)) {
			out = append(out, h.History[i])
		}
	}
	return out, nil
}

func joinHistory(hs []historyEntry) string {
	s := make([]string, len(hs))
	for i, h := range hs {
		s[i] = h.String()
	}
	return strings.Join(s, "; ")
}

// historySaysOutside: step 4, the history since the outside disable ends
// in stopped, and the change is put down to something outside the panel
// (a job's change would say "after job N").
func (p *panelAPI) historySaysOutside(ctx context.Context, since time.Time) {
	hs, err := p.history(ctx, since)
	if err == nil {
		outside := false
		for _, h := range hs {
			if strings.Contains(h.Reason, "after job") {
				err = fmt.Errorf("a job's change: %s", h)
			}
			outside = outside || strings.Contains(h.Reason, "changed outside the panel")
		}
		switch {
		case err != nil:
		case len(hs) == 0:
			err = errors.New("no change in the history since the disable")
		case hs[len(hs)-1].NewState != "stopped":
			err = fmt.Errorf("the newest change is not to stopped: %s", joinHistory(hs))
		case !outside:
			err = fmt.Errorf("no change says \"changed outside the panel\": %s", joinHistory(hs))
		}
	}
	if err == nil {
		p.b.r.note("history: %s", joinHistory(hs))
	}
	p.b.r.check("GET …/history: the change to stopped happened outside the panel", err)
}

// restartedAfterKill: step 5, after a SIGKILL the panel saw the wait for
// the restart (crashlooping in the history) and says running again with
// the restart counted.
func (p *panelAPI) restartedAfterKill(ctx context.Context, since time.Time, restarts int) {
	_, err := p.waitServer(ctx, pollInterval+pollSlack, func(s apiServer) error {
		if s.ActualState != "running" || s.Systemd.NRestarts != restarts {
			return fmt.Errorf("the API says %s; want running with n_restarts %d", s, restarts)
		}
		return nil
	})
	p.b.r.check(fmt.Sprintf("GET /api/v1/servers/%s: running again, n_restarts %d", name, restarts), err)
	hs, err := p.history(ctx, since)
	if err == nil {
		p.b.r.note("history since the kill: %s", joinHistory(hs))
		seen := false
		for _, h := range hs {
			seen = seen || h.NewState == "crashlooping"
		}
		if !seen {
			err = fmt.Errorf("no change to crashlooping: %s", joinHistory(hs))
		}
	}
	p.b.r.check("GET …/history: crashlooping while systemd waited to restart it", err)
	if err == nil {
		err = fmt.Errorf("no row says the unit crashed (signal KILL) and systemd restarted it, restart %d: %s", restarts, joinHistory(hs))
		for _, h := range hs {
			if m := restartRow.FindStringSubmatch(h.Reason); m != nil && m[2] == strconv.Itoa(restarts) && strings.Contains(h.Reason, "(signal KILL)") {
				err = nil
			}
		}
	}
	p.b.r.check("GET …/history: the restart is an event with systemd's count and the signal", err)
}

// showsFailedWithReason: step 5, after the crash loop the panel says
// failed with systemd's reason, and its history went through
// crashlooping first.
func (p *panelAPI) showsFailedWithReason(ctx context.Context, since time.Time) {
	s, err := p.waitServer(ctx, pollInterval+pollSlack, func(s apiServer) error {
		if s.ActualState != "failed" {
			return fmt.Errorf("the API says %s", s)
		}
		return nil
	})
	if err == nil {
		// systemd 252 keeps Result=exit-code when automatic restarts
		// run into StartLimitBurst (see crashLoop).
		r := s.Systemd.Result
		if (r != "exit-code" && r != "start-limit-hit") || !strings.Contains(s.StateReason, "Result="+r) {
			err = fmt.Errorf("the API says %s; want the reason to carry systemd's Result", s)
		}
	}
	p.b.r.check(fmt.Sprintf("GET /api/v1/servers/%s: failed, reason %q", name, s.StateReason), err)
	hs, err := p.history(ctx, since)
	if err == nil {
		p.b.r.note("history since the crash file: %s", joinHistory(hs))
		loop := -1
		for i, h := range hs {
			if h.NewState == "crashlooping" && loop < 0 {
				loop = i
			}
		}
		switch {
		case loop < 0:
			err = fmt.Errorf("no change to crashlooping: %s", joinHistory(hs))
		case hs[len(hs)-1].NewState != "failed":
			err = fmt.Errorf("the newest change is not to failed: %s", joinHistory(hs))
		}
	}
	p.b.r.check("GET …/history: crashlooping, then failed", err)
}

// logs: step 6, the unit's log lines through the API.
func (p *panelAPI) logs(ctx context.Context) {
	var l struct {
		Lines []struct {
			Text string     `json:"text"`
			Time *time.Time `json:"time"`
		} `json:"lines"`
		Warning string `json:"warning"`
	}
	err := p.expect(ctx, 200, "GET", "/api/v1/servers/"+name+"/log?lines=200", nil, &l)
	texts := make([]string, len(l.Lines))
	for i, line := range l.Lines {
		texts[i] = line.Text
	}
	all := strings.Join(texts, "\n")
	for _, want := range []string{"fakesrcds: listening on udp/tcp", "fakesrcds: answered A2S_INFO", "fakesrcds: crashing on request"} {
		if err == nil && !strings.Contains(all, want) {
			err = fmt.Errorf("no line with %q in:\n%s", want, all)
		}
	}
	if err == nil && l.Warning != "" {
		err = fmt.Errorf("warning: %s", l.Warning)
	}
	p.b.r.check("GET /api/v1/servers/"+name+"/log?lines=200 has the game server's lines (listening, A2S, crash)", err)
	// Every line carries the time the journal recorded it: within the
	// last hour (the container shares the host's clock).
	now := time.Now()
	err = nil
	if len(l.Lines) == 0 {
		err = errors.New("no lines")
	}
	for _, line := range l.Lines {
		if err == nil && (line.Time == nil || line.Time.Before(now.Add(-time.Hour)) || line.Time.After(now.Add(time.Minute))) {
			err = fmt.Errorf("the line %q has the time %v, want one within the hour before %s", line.Text, line.Time, now.UTC().Format(time.RFC3339))
		}
	}
	p.b.r.check("GET …/log?lines=200: every line carries its journal time, within the last hour", err)
	l.Lines = nil
	err = p.expect(ctx, 200, "GET", "/api/v1/servers/"+name+"/log?lines=3", nil, &l)
	if err == nil && len(l.Lines) != 3 {
		err = fmt.Errorf("got %d lines: %q", len(l.Lines), l.Lines)
	}
	p.b.r.check("GET …/log?lines=3 answers 3 lines", err)
}

// gone: after the delete, the API knows no such server.
func (p *panelAPI) gone(ctx context.Context) {
	var e apiError
	err := p.expect(ctx, 404, "GET", "/api/v1/servers/"+name, nil, &e)
	p.b.r.check("GET /api/v1/servers/"+name+" after the delete: 404", err)
}
