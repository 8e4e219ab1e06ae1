package main

import (
	"reflect"
	"testing"
)

func TestSudoCommands(t *testing.T) {
	for _, tt := range []struct {
		name string
		out  string
		want []string
	}{
		{"the two helpers on one line", `Matching Defaults entries for left4me on vm:
    env_reset, mail_badpass, secure_path=/usr/local/sbin\:/usr/local/bin\:/usr/sbin\:/usr/bin\:/sbin\:/bin, use_pty, !requiretty, !pam_session

User left4me may run the following commands on vm:
    (root) NOPASSWD: /usr/local/libexec/left4me/left4me-systemctl, /usr/local/libexec/left4me/left4me-journalctl
`, []string{"/usr/local/libexec/left4me/left4me-systemctl", "/usr/local/libexec/left4me/left4me-journalctl"}},
		{"one more rule on its own line", `User left4me may run the following commands on vm:
    (root) NOPASSWD: /a, /b
    (ALL : ALL) ALL
`, []string{"/a", "/b", "ALL"}},
		{"several tags", `User left4me may run the following commands on vm:
    (root) NOPASSWD: SETENV: /a
`, []string{"/a"}},
		{"no rules at all", "User left4me is not allowed to run sudo on vm.\n", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := sudoCommands(tt.out); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("sudoCommands = %q, want %q", got, tt.want)
			}
		})
	}
}
