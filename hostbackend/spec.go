package hostbackend

import (
	"fmt"
	"strconv"
	"strings"
)

// MaxArgs and MaxArgLen bound the extra srcds arguments of an instance.
const (
	MaxArgs   = 64
	MaxArgLen = 256
)

// ValidateArg reports whether one srcds argument is acceptable. The
// unit's launcher (deploy/libexec/left4me-srcds) reads SRCDS_ARGS from
// instance.env and splits it at white space, as systemd's $SRCDS_ARGS
// expansion did, so an argument may not contain any; quotes, backslashes
// and '$' are refused too (the launcher refuses a file holding them) so
// that what the operator typed is exactly what srcds receives. Text with
// spaces, such as a host name, belongs in server.cfg.
func ValidateArg(arg string) error {
	if arg == "" {
		return fmt.Errorf("an argument is empty")
	}
	if len(arg) > MaxArgLen {
		return fmt.Errorf("argument “%s…” is longer than %d characters", plainArg(arg[:20]), MaxArgLen)
	}
	for _, r := range arg {
		switch {
		case r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\v' || r == '\f':
			return fmt.Errorf("argument “%s” contains white space; put text with spaces in server.cfg", plainArg(arg))
		case r < ' ' || r == 0x7f:
			return fmt.Errorf("argument “%s” contains the control character U+%04X", plainArg(arg), r)
		case r > 0x7e:
			return fmt.Errorf("argument “%s” contains the non-ASCII character %s", plainArg(arg), plainArg(string(r)))
		case strings.ContainsRune(`"'\$`+"`", r):
			return fmt.Errorf("argument “%s” contains the character %c, which is not allowed in srcds arguments (no quotes, \\, $ or `)", plainArg(arg), r)
		}
	}
	return nil
}

// plainArg is arg as a message shows it between quotes, as typed, with
// each control character (which would break the message) and invalid
// byte as U+FFFD.
func plainArg(arg string) string {
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return '\uFFFD'
		}
		return r
	}, strings.ToValidUTF8(arg, "\uFFFD"))
}

// ValidateSpec checks a whole InstanceSpec. Errors wrap ErrInvalidSpec or
// ErrInvalidName.
func ValidateSpec(spec InstanceSpec) error {
	if err := ValidateName(spec.Name); err != nil {
		return err
	}
	if spec.Port < 1024 || spec.Port > 65535 {
		return fmt.Errorf("%w: port %d is outside 1024-65535", ErrInvalidSpec, spec.Port)
	}
	if len(spec.Args) > MaxArgs {
		return fmt.Errorf("%w: %d arguments, at most %d are allowed", ErrInvalidSpec, len(spec.Args), MaxArgs)
	}
	for _, a := range spec.Args {
		if err := ValidateArg(a); err != nil {
			return fmt.Errorf("%w: %v", ErrInvalidSpec, err)
		}
	}
	if strings.ContainsRune(spec.ServerConfig, 0) {
		return fmt.Errorf("%w: server.cfg contains a NUL byte", ErrInvalidSpec)
	}
	return validateLayers(spec)
}

// EnvQuote quotes value for a systemd EnvironmentFile= line: it is
// wrapped in double quotes with '\', '"', '`' and '$' escaped by a
// backslash. Newlines are not representable and must be refused before.
func EnvQuote(value string) string {
	var b strings.Builder
	b.Grow(len(value) + 2)
	b.WriteByte('"')
	for i := 0; i < len(value); i++ {
		c := value[i]
		if c == '\\' || c == '"' || c == '`' || c == '$' {
			b.WriteByte('\\')
		}
		b.WriteByte(c)
	}
	b.WriteByte('"')
	return b.String()
}

// InstanceEnv renders the instance.env file of a validated spec, in
// systemd's EnvironmentFile= syntax. The unit's launcher reads it, as the
// left4me user (never systemd, as root), and accepts only what this
// writes: KEY="VALUE" lines of printable ASCII.
func InstanceEnv(spec InstanceSpec) []byte {
	var b strings.Builder
	b.WriteString("# Written by left4me; changes are overwritten on the next start.\n")
	b.WriteString("LEFT4ME_INSTANCE=" + EnvQuote(spec.Name) + "\n")
	b.WriteString("LEFT4ME_PORT=" + EnvQuote(strconv.Itoa(spec.Port)) + "\n")
	b.WriteString("SRCDS_ARGS=" + EnvQuote(strings.Join(spec.Args, " ")) + "\n")
	return []byte(b.String())
}
