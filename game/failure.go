package game

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Reason says why steamcmd failed, for callers that act on it.
type Reason string

// The failures an operation ends with. Failure.Error is the sentence for
// the user; Reason is for code.
const (
	// ReasonInvalidPlatform: "ERROR! Failed to install app '222860'
	// (Invalid platform)", what an anonymous Linux-only install gets.
	ReasonInvalidPlatform Reason = "invalid-platform"
	// ReasonNoSubscription: the login does not own the app.
	ReasonNoSubscription Reason = "no-subscription"
	// ReasonLogin: Steam refused the login (exit status 5): a wrong
	// password or code, or no connection.
	ReasonLogin Reason = "login"
	// ReasonRateLimit: too many logins from this address.
	ReasonRateLimit Reason = "rate-limit"
	// ReasonDiskFull: steamcmd ran out of disk space (state 0x202).
	ReasonDiskFull Reason = "disk-full"
	// ReasonNotEnoughSpace: the free-space check refused to start.
	ReasonNotEnoughSpace Reason = "not-enough-space"
	// ReasonUpdateState: "Error! App '222860' state is 0x… after update
	// job." (exit status 8), mostly a download that broke off.
	ReasonUpdateState Reason = "update-state"
	// ReasonPromptTimeout: a question was not answered in time.
	ReasonPromptTimeout Reason = "prompt-timeout"
	// ReasonNoAnswer: a question came and the answer function gave none.
	ReasonNoAnswer Reason = "no-answer"
	// ReasonStalled: steamcmd printed nothing for too long.
	ReasonStalled Reason = "stalled"
	// ReasonIncomplete: steamcmd exited 0 without saying the app is fully
	// installed.
	ReasonIncomplete Reason = "incomplete"
	// ReasonExit: any other failure, with steamcmd's exit status.
	ReasonExit Reason = "exit"
	// ReasonStart: steamcmd could not be started.
	ReasonStart Reason = "start"
	// ReasonSteamClient: the install worked but steamclient.so could not
	// be put in ~/.steam/sdk32.
	ReasonSteamClient Reason = "steamclient"
)

// Failure is how an operation failed, with a sentence that says what to
// do. Error returns the sentence.
type Failure struct {
	Reason Reason
	// Exit is steamcmd's exit status; -1 when it did not exit by itself.
	Exit int
	// Line is the line of steamcmd's output that showed the failure, if
	// one did.
	Line string
	// Attempts is how many times the pass was run before giving up.
	Attempts int
	sentence string
	retry    bool
}

// Error returns the sentence for the user.
func (f *Failure) Error() string {
	if f.Attempts > 1 {
		return fmt.Sprintf("%s (It failed %d times in a row.)", f.sentence, f.Attempts)
	}
	return f.sentence
}

// Retryable reports whether running the same pass again may help (a
// broken download does; a wrong password or a full disk does not).
func (f *Failure) Retryable() bool { return f.retry }

// transcript is what one steamcmd run showed that matters to its outcome.
type transcript struct {
	exit            int // -1: killed or not exited by itself
	success         bool
	invalidPlatform string
	noSubscription  string
	loginFailed     string // the line
	loginReason     string // the text in FAILED (...) or after "Login Failure:"
	stateLine       string
	state           uint64
	lastError       string
}

var (
	successLine  = regexp.MustCompile(`^Success! App '` + AppID + `' (fully installed|already up to date)`)
	failedLogin  = regexp.MustCompile(`(?:Logging in user|Connecting anonymously|Logging in using).*FAILED \(([^)]*)\)|Login Failure: (.*)$`)
	stateAfter   = regexp.MustCompile(`Error! App '[0-9]+' state is 0x([0-9a-fA-F]+) after update job`)
	errorishLine = regexp.MustCompile(`^(ERROR!|Error!|FAILED|Login Failure)`)
)

// observe records what line means for the run's outcome.
func (t *transcript) observe(line string) {
	s := strings.TrimSpace(line)
	switch {
	case successLine.MatchString(s):
		t.success = true
	case strings.Contains(s, "(Invalid platform)"):
		t.invalidPlatform = s
	case strings.Contains(s, "(No subscription)"):
		t.noSubscription = s
	}
	if m := failedLogin.FindStringSubmatch(s); m != nil {
		t.loginFailed = s
		t.loginReason = strings.TrimSpace(m[1] + m[2])
	}
	if m := stateAfter.FindStringSubmatch(s); m != nil {
		t.stateLine = s
		t.state, _ = strconv.ParseUint(m[1], 16, 64)
	}
	if errorishLine.MatchString(s) || strings.Contains(s, "FAILED (") {
		t.lastError = s
	}
}

// stateDiskFull is the update state steamcmd ends in when the disk is
// full.
const stateDiskFull = 0x202

// classify turns a finished run into nil (success) or a Failure. dir is
// the installation directory, login the account ("anonymous" or a name).
func (t *transcript) classify(dir, login string) *Failure {
	f := &Failure{Exit: t.exit}
	switch {
	case t.exit == 0 && t.success:
		return nil
	case t.invalidPlatform != "":
		f.Reason, f.Line = ReasonInvalidPlatform, t.invalidPlatform
		f.sentence = "Steam refused to install app " + AppID + " for this platform (Invalid platform): Valve no longer gives " +
			"the Linux files to anonymous logins. Use the two-pass strategy (Windows files first, then Linux, the default), " +
			"or log in with a Steam account that owns Left 4 Dead 2."
	case t.noSubscription != "":
		f.Reason, f.Line = ReasonNoSubscription, t.noSubscription
		f.sentence = fmt.Sprintf("Steam says the login %q has no licence for app %s (No subscription). "+
			"Log in with a Steam account that owns Left 4 Dead 2, or use the anonymous two-pass strategy.", login, AppID)
	case t.loginFailed != "" || t.exit == 5:
		f.Line = t.loginFailed
		reason := t.loginReason
		if reason == "" {
			reason = "exit status 5"
		}
		low := strings.ToLower(reason)
		switch {
		case strings.Contains(low, "rate limit"):
			f.Reason = ReasonRateLimit
			f.sentence = fmt.Sprintf("Steam refused the login because of too many attempts from this address (%s). "+
				"Wait at least 30 minutes without trying (every new try restarts the wait), then try again.", reason)
		case strings.Contains(low, "invalid") || strings.Contains(low, "mismatch") || strings.Contains(low, "denied") ||
			strings.Contains(low, "password"):
			f.Reason = ReasonLogin
			f.sentence = fmt.Sprintf("Steam refused the login of %q (%s). Check the account name and password; a Steam Guard "+
				"or two-factor code is only good for a short time, so answer with a fresh one.", login, reason)
		default:
			f.Reason, f.retry = ReasonLogin, true
			f.sentence = fmt.Sprintf("steamcmd could not log in to Steam as %q (%s). Check the host's connection to Steam, "+
				"then try again.", login, reason)
		}
	case t.stateLine != "" && t.state == stateDiskFull:
		f.Reason, f.Line = ReasonDiskFull, t.stateLine
		f.sentence = fmt.Sprintf("The disk ran out of space while steamcmd was writing the game (state 0x%x after the update job). "+
			"Free space on the disk that holds %s, then run Validate.", t.state, dir)
	case t.stateLine != "":
		f.Reason, f.Line, f.retry = ReasonUpdateState, t.stateLine, true
		f.sentence = fmt.Sprintf("steamcmd ended with the app in state 0x%x after the update job (exit status %d), which mostly "+
			"means a download that broke off. Check the host's connection to Steam and the free space for %s, then run Validate.",
			t.state, t.exit, dir)
	case t.exit == 0:
		f.Reason, f.retry = ReasonIncomplete, true
		f.sentence = "steamcmd ended without saying that app " + AppID + " is fully installed; the installation may be " +
			"incomplete. Run Validate."
	default:
		f.Reason, f.Line, f.retry = ReasonExit, t.lastError, true
		if t.lastError != "" {
			f.sentence = fmt.Sprintf("steamcmd failed with exit status %d: %s", t.exit, t.lastError)
		} else {
			f.sentence = fmt.Sprintf("steamcmd failed with exit status %d without saying why; its output is above.", t.exit)
		}
	}
	return f
}
