package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// apiJob and apiServer are the parts of the JSON API's answers
// (docs/api.md) the action modes read.
type apiJob struct {
	ID         int64      `json:"id"`
	Server     string     `json:"server"`
	Operation  string     `json:"operation"`
	State      string     `json:"state"`
	Reason     string     `json:"reason"`
	Attempts   int        `json:"attempts"`
	CreatedAt  *time.Time `json:"created_at"`
	FinishedAt *time.Time `json:"finished_at"`
}

type apiServer struct {
	Name         string `json:"name"`
	DesiredState string `json:"desired_state"`
	ActualState  string `json:"actual_state"`
}

// ended reports whether the job has finished, one way or another.
func (j apiJob) ended() bool {
	return j.State == "succeeded" || j.State == "failed" || j.State == "cancelled"
}

// apiClient is one script using the JSON API with its own token, bound to
// its own loopback source address (the panel caps connections per
// address).
type apiClient struct {
	base  string // http://ADDR
	token string
	src   net.IP
	http  *http.Client
}

// newAPIClient returns a client that keeps up to conns connections open.
func newAPIClient(base, token string, src net.IP, conns int) *apiClient {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: src}, Timeout: 10 * time.Second}
	return &apiClient{base: base, token: token, src: src, http: &http.Client{
		Timeout:   time.Minute,
		Transport: &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: max(conns, 2), DisableCompression: true},
	}}
}

// send sends method path with the token and returns the status and the
// body.
func (ac *apiClient) send(ctx context.Context, method, path string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, ac.base+path, nil)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+ac.token)
	resp, err := ac.http.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if resp.StatusCode == http.StatusTooManyRequests {
		return resp.StatusCode, body, &retryAfter{wait: retryAfterHeader(resp.Header)}
	}
	return resp.StatusCode, body, nil
}

// errNotFound is a 404: no such job or server.
var errNotFound = errors.New("not found")

// retryAfter is a 429: the client's user has used up its rate for now.
type retryAfter struct{ wait time.Duration }

func (r *retryAfter) Error() string { return fmt.Sprintf("rate limited for %s", r.wait) }

func retryAfterHeader(h http.Header) time.Duration {
	if s, err := strconv.Atoi(h.Get("Retry-After")); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	return time.Second
}

// get reads path into out (JSON), waiting out the rate limit as a
// script would.
func (ac *apiClient) get(ctx context.Context, path string, out any) error {
	for {
		status, body, err := ac.send(ctx, http.MethodGet, path)
		var ra *retryAfter
		if errors.As(err, &ra) {
			select {
			case <-time.After(ra.wait):
				continue
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		if err != nil {
			return err
		}
		if status == http.StatusNotFound {
			return fmt.Errorf("GET %s: %w", path, errNotFound)
		}
		if status != http.StatusOK {
			return fmt.Errorf("GET %s: %d %s", path, status, strings.TrimSpace(string(body)))
		}
		if err := json.Unmarshal(body, out); err != nil {
			return fmt.Errorf("GET %s: %w", path, err)
		}
		return nil
	}
}

// job reads job id.
func (ac *apiClient) job(ctx context.Context, id int64) (apiJob, error) {
	var j apiJob
	err := ac.get(ctx, "/api/v1/jobs/"+strconv.FormatInt(id, 10), &j)
	return j, err
}

// servers reads every server.
func (ac *apiClient) servers(ctx context.Context) ([]apiServer, error) {
	var r struct {
		Servers []apiServer `json:"servers"`
	}
	err := ac.get(ctx, "/api/v1/servers", &r)
	return r.Servers, err
}

func (ac *apiClient) close() { ac.http.CloseIdleConnections() }

// readTokens reads API tokens from file, one a line; blank lines and
// lines starting with # are skipped.
func readTokens(file string) ([]string, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("-tokens: %w", err)
	}
	defer f.Close()
	var toks []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if t := strings.TrimSpace(sc.Text()); t != "" && !strings.HasPrefix(t, "#") {
			toks = append(toks, t)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("-tokens %s: %w", file, err)
	}
	if len(toks) == 0 {
		return nil, fmt.Errorf("-tokens %s: no token in the file (left4me create-token USER NAME makes one)", file)
	}
	return toks, nil
}
