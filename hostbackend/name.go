package hostbackend

import "fmt"

// NameRule is the instance-name rule in human words, for hints and errors.
const NameRule = "1 to 32 characters: lowercase letters a-z, digits, '-' and '_', starting with a letter or digit"

// MaxNameLen is the longest instance name allowed.
const MaxNameLen = 32

// ValidateName reports whether name follows the one instance-name rule,
// ^[a-z0-9][a-z0-9_-]{0,31}$, mirrored in every root helper. It returns an
// error wrapping ErrInvalidName that says what is wrong.
//
// The rule is checked byte by byte rather than with a regexp so that it
// cannot be loosened by a regexp flag or a Unicode class by accident.
func ValidateName(name string) error {
	if name == "" {
		return fmt.Errorf("%w: the name is empty; use %s", ErrInvalidName, NameRule)
	}
	if len(name) > MaxNameLen {
		return fmt.Errorf("%w: %q is %d characters long, at most %d are allowed", ErrInvalidName, name, len(name), MaxNameLen)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case (c == '-' || c == '_') && i > 0:
		case c == '-' || c == '_':
			return fmt.Errorf("%w: %q starts with %q; it must start with a lowercase letter or digit", ErrInvalidName, name, c)
		default:
			return fmt.Errorf("%w: %q contains %q; use %s", ErrInvalidName, name, rune(c), NameRule)
		}
	}
	return nil
}

// UnitName returns the systemd unit of the instance.
func UnitName(name string) string {
	return "left4me-server@" + name + ".service"
}
