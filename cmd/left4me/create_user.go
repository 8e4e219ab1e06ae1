package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/left4me/left4me/app"
	"github.com/left4me/left4me/jobs"
	"github.com/left4me/left4me/store"
)

// stdin is where create-user reads the password; tests replace it.
var stdin io.Reader = os.Stdin

// createUser runs `left4me create-user NAME [--admin]`: it adds a user to
// the database named by LEFT4ME_DB, an operator unless --admin is given,
// and says which database it used.
// The password is asked twice without echo on a terminal, or read as the
// first line of stdin otherwise.
func createUser(ctx context.Context, args []string, stdout io.Writer, getenv func(string) string) error {
	var name string
	role := store.RoleOperator
	for _, a := range args {
		switch {
		case a == "--admin" || a == "-admin":
			role = store.RoleAdmin
		case strings.HasPrefix(a, "-"):
			return fmt.Errorf("%w: create-user: unknown flag %q", errUsage, a)
		case name != "":
			return fmt.Errorf("%w: create-user: one NAME only, got %q and %q", errUsage, name, a)
		default:
			name = a
		}
	}
	if name == "" {
		return fmt.Errorf("%w: create-user NAME [--admin]: the NAME is missing", errUsage)
	}
	password, confirm, err := readPassword(stdout)
	if err != nil {
		return err
	}
	db, err := openDB(ctx, getenv)
	if err != nil {
		return err
	}
	defer db.Close()
	svc := app.NewService(app.ServiceOptions{DB: db.DB, Queue: jobs.NewQueue(jobs.QueueOpts{DB: db.DB})})
	u, err := svc.CreateUser(ctx, app.UserInput{Name: name, Role: role, Password: password, PasswordConfirm: confirm})
	var fe app.FieldErrors
	if errors.As(err, &fe) {
		return fmt.Errorf("%w: create-user: %s", errUsage, fe.Error())
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "created %s %s in %s\n", u.Role, u.Name, db.where())
	return nil
}

// readPassword asks twice without echo on a terminal; otherwise the first
// line of stdin is both the password and its confirmation.
func readPassword(stdout io.Writer) (password, confirm string, err error) {
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(stdout, "Password: ")
		p1, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stdout)
		if err != nil {
			return "", "", fmt.Errorf("read password: %w", err)
		}
		fmt.Fprint(stdout, "Password again: ")
		p2, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stdout)
		if err != nil {
			return "", "", fmt.Errorf("read password: %w", err)
		}
		return string(p1), string(p2), nil
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", "", fmt.Errorf("read password from stdin: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	return line, line, nil
}
