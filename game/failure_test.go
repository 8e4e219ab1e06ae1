package game

import (
	"strings"
	"testing"
)

func TestClassify(t *testing.T) {
	for _, tt := range []struct {
		name       string
		exit       int
		lines      []string
		wantReason Reason // "" for success
		wantRetry  bool
		wantIn     string
	}{
		{"exit 0 and the success line", 0, []string{"Success! App '222860' fully installed."}, "", false, ""},
		{"nothing new to fetch", 0, []string{"Success! App '222860' already up to date."}, "", false, ""},
		{"the success line with a failing exit is no success", 8,
			[]string{"Success! App '222860' fully installed."}, ReasonExit, true, "exit status 8"},
		{"exit 0 without the success line", 0, []string{"Waiting for user info...OK"}, ReasonIncomplete, true, "Run Validate"},
		{"Invalid platform", 8, []string{"ERROR! Failed to install app '222860' (Invalid platform)"},
			ReasonInvalidPlatform, false, "two-pass"},
		{"No subscription", 8, []string{"ERROR! Failed to install app '222860' (No subscription)"},
			ReasonNoSubscription, false, "owns Left 4 Dead 2"},
		{"a wrong password", 5, []string{"Logging in user 'ops' [U:1:1] to Steam Public...FAILED (Invalid Password)"},
			ReasonLogin, false, "(Invalid Password)"},
		{"a wrong Steam Guard code", 5, []string{"Logging in user 'ops' [U:1:1] to Steam Public...FAILED (Invalid Login Auth Code)"},
			ReasonLogin, false, "fresh one"},
		{"the older two-factor wording", 5, []string{"Login Failure: Two-factor code mismatch (88)"},
			ReasonLogin, false, "Two-factor code mismatch (88)"},
		{"exit 5 alone", 5, nil, ReasonLogin, true, "exit status 5"},
		{"no connection", 5, []string{"Connecting anonymously to Steam Public...FAILED (No Connection)"},
			ReasonLogin, true, "connection to Steam"},
		{"rate limit", 5, []string{"Logging in user 'ops' to Steam Public...FAILED (Rate Limit Exceeded)"},
			ReasonRateLimit, false, "30 minutes"},
		{"the older rate limit wording", 5, []string{"Login Failure: Rate Limit Exceeded (84)"},
			ReasonRateLimit, false, "30 minutes"},
		{"disk full", 8, []string{" Update state (0x61) downloading, progress: 50.00 (1 / 2)",
			"Error! App '222860' state is 0x202 after update job."}, ReasonDiskFull, false, "/game"},
		{"another state after the job", 8, []string{"Error! App '222860' state is 0x602 after update job."},
			ReasonUpdateState, true, "state 0x602"},
		{"an unknown failure names the last error line", 1, []string{"ERROR! Timed out waiting for AppInfo update.",
			"Unloading Steam API...OK"}, ReasonExit, true, "ERROR! Timed out waiting for AppInfo update."},
		{"a failure without any error line", 3, nil, ReasonExit, true, "without saying why"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tr := &transcript{exit: tt.exit}
			for _, l := range tt.lines {
				tr.observe(l)
			}
			f := tr.classify("/game", "ops")
			if tt.wantReason == "" {
				if f != nil {
					t.Fatalf("classify = %v, want success", f)
				}
				return
			}
			if f == nil {
				t.Fatalf("classify = success, want %s", tt.wantReason)
			}
			equal(t, "Reason", f.Reason, tt.wantReason)
			equal(t, "Retryable", f.Retryable(), tt.wantRetry)
			equal(t, "Exit", f.Exit, tt.exit)
			if !strings.Contains(f.Error(), tt.wantIn) {
				t.Errorf("sentence %q does not say %q", f.Error(), tt.wantIn)
			}
		})
	}
}

func TestFailureSaysHowOftenItFailed(t *testing.T) {
	f := &Failure{sentence: "It broke.", Attempts: 3}
	equal(t, "Error", f.Error(), "It broke. (It failed 3 times in a row.)")
	f.Attempts = 1
	equal(t, "Error", f.Error(), "It broke.")
}
