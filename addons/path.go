package addons

import (
	"fmt"
	"path"
	"strings"
	"unicode/utf8"

	"github.com/left4me/left4me/store"
)

// Limits of a path inside a set.
const (
	// MaxPathLen is the longest path accepted, in bytes.
	MaxPathLen = 1024
	// MaxPartLen is the longest file or directory name, in bytes (the
	// kernel's NAME_MAX).
	MaxPartLen = 255
	// MaxDepth is the most directories a path may go down.
	MaxDepth = 32
)

// CheckPath checks a path inside a set as users write it, relative to
// the game's left4dead2/ directory ("cfg/hostname.cfg",
// "addons/sourcemod/plugins/x.smx"): not absolute, no "." or ".." part,
// no empty part, no backslash or control character, valid UTF-8, at most
// MaxPathLen bytes, MaxPartLen per part and MaxDepth deep. The error
// matches store.ErrInvalid and is a sentence naming the path.
func CheckPath(p string) error {
	if why := pathProblem(p); why != "" {
		return &store.Error{Kind: store.ErrInvalid, Msg: fmt.Sprintf("the path %q %s", p, why)}
	}
	return nil
}

// splitPath checks p and returns its parts.
func splitPath(p string) ([]string, error) {
	if err := CheckPath(p); err != nil {
		return nil, err
	}
	return strings.Split(p, "/"), nil
}

// pathProblem says what is wrong with p as a predicate ("is absolute"),
// or "" when nothing is.
func pathProblem(p string) string {
	switch {
	case p == "":
		return "is empty"
	case len(p) > MaxPathLen:
		return fmt.Sprintf("is longer than %d bytes", MaxPathLen)
	case !utf8.ValidString(p):
		return "is not valid UTF-8"
	case p[0] == '/':
		return "is absolute (paths are relative to the game's left4dead2/ directory)"
	case strings.ContainsRune(p, '\\'):
		return "contains a backslash (use / between directories)"
	}
	for _, r := range p {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return "contains a control character"
		}
	}
	parts := strings.Split(p, "/")
	if len(parts) > MaxDepth+1 {
		return fmt.Sprintf("is more than %d directories deep", MaxDepth)
	}
	for _, part := range parts {
		switch {
		case part == "":
			return "has an empty part (// or a / at an end)"
		case part == "..":
			return `contains ".." (it may not leave the set)`
		case part == ".":
			return `contains "." as a part`
		case len(part) > MaxPartLen:
			return fmt.Sprintf("has a name longer than %d bytes", MaxPartLen)
		}
	}
	return ""
}

// entryPaths maps an archive's entry names, in the archive's order, to
// paths in the set below into (a checked path or ""). A leading "./"
// (tar's habit) and a directory's trailing "/" are dropped. An archive
// whose first entry is left4dead2/ or under it is taken as holding the
// game's directory: "left4dead2/" is dropped from every entry, and an
// entry outside it is refused.
type entryPaths struct {
	into    string
	decided bool // the first entry was seen
	strip   bool // entries are under left4dead2/
}

// path returns the path of the entry name, "" with no problem for the
// archive's root itself ("./", and "left4dead2/" when stripped).
func (e *entryPaths) path(name string, dir bool) (p, problem string) {
	if name != "" && name[0] == '/' {
		return "", "is an absolute path"
	}
	n := name
	for strings.HasPrefix(n, "./") {
		n = n[2:]
	}
	if dir || strings.HasSuffix(n, "/") {
		n, dir = strings.TrimSuffix(n, "/"), true
		if n == "" || n == "." {
			return "", ""
		}
	}
	if !e.decided {
		e.decided = true
		e.strip = (n == gameDir && dir) || strings.HasPrefix(n, gameDir+"/")
	}
	if e.strip {
		if n == gameDir && dir {
			return "", ""
		}
		rest, ok := strings.CutPrefix(n, gameDir+"/")
		if !ok {
			return "", "is outside left4dead2/, where the archive's first entry is"
		}
		n = rest
	}
	if why := pathProblem(n); why != "" {
		return "", why
	}
	if e.into != "" {
		n = path.Join(e.into, n)
		if why := pathProblem(n); why != "" {
			return "", why
		}
	}
	return n, ""
}

// gameDir is the game's directory, which a set's paths are relative to.
const gameDir = "left4dead2"
