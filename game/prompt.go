package game

import "strings"

// PromptKind says what steamcmd asks for.
type PromptKind string

// The questions steamcmd asks while logging in to a Steam account.
const (
	// PromptPassword is "password:", the account's password.
	PromptPassword PromptKind = "password"
	// PromptSteamGuard is "Steam Guard code:", the code Steam mailed.
	PromptSteamGuard PromptKind = "steam-guard"
	// PromptTwoFactor is "Two-factor code:", the mobile authenticator's
	// code.
	PromptTwoFactor PromptKind = "two-factor"
)

// Prompt is a question steamcmd printed (without a newline) and now waits
// on.
type Prompt struct {
	Kind PromptKind
	// Text is the question as steamcmd printed it, e.g. "Steam Guard code:".
	Text string
}

// What names what the prompt asks for, for sentences: "the Steam Guard
// code".
func (p Prompt) What() string {
	switch p.Kind {
	case PromptPassword:
		return "the Steam password"
	case PromptSteamGuard:
		return "the Steam Guard code"
	case PromptTwoFactor:
		return "the two-factor code"
	}
	return "an answer"
}

var promptSuffixes = []struct {
	suffix string
	kind   PromptKind
}{
	{"steam guard code:", PromptSteamGuard},
	{"two-factor code:", PromptTwoFactor},
	{"password:", PromptPassword},
}

// detectPrompt reports whether partial, the text after the last newline,
// ends in one of steamcmd's questions.
func detectPrompt(partial string) (Prompt, bool) {
	text := strings.TrimRight(partial, " \t")
	low := strings.ToLower(text)
	for _, p := range promptSuffixes {
		if strings.HasSuffix(low, p.suffix) {
			return Prompt{Kind: p.kind, Text: strings.TrimSpace(text)}, true
		}
	}
	return Prompt{}, false
}
