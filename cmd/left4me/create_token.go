package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/left4me/left4me/app"
	"github.com/left4me/left4me/jobs"
	"github.com/left4me/left4me/store"
)

// createToken runs `left4me create-token USER NAME`: it creates an API
// token called NAME for USER in the database named by LEFT4ME_DB, as the
// account page does, and prints only the token, so that a provisioning
// script can say TOKEN=$(left4me create-token ann deploy); which database
// it used goes to stderr.
func createToken(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	for _, a := range args {
		if strings.HasPrefix(a, "-") {
			return fmt.Errorf("%w: create-token: unknown flag %q", errUsage, a)
		}
	}
	if len(args) != 2 {
		return fmt.Errorf("%w: create-token USER NAME: give the user and a name for the token", errUsage)
	}
	userName, tokenName := args[0], args[1]
	db, err := openDB(ctx, getenv)
	if err != nil {
		return err
	}
	defer db.Close()
	u, err := db.GetUserByName(ctx, userName)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("%w: create-token: there is no user %s in %s (left4me create-user %s adds one)", errUsage, userName, db.where(), userName)
	}
	if err != nil {
		return err
	}
	if u.Disabled {
		return fmt.Errorf("%w: create-token: %s is disabled; a disabled user's tokens do not work", errUsage, u.Name)
	}
	svc := app.NewService(app.ServiceOptions{DB: db.DB, Queue: jobs.NewQueue(jobs.QueueOpts{DB: db.DB})})
	token, _, err := svc.CreateToken(ctx, u.ID, tokenName)
	var fe app.FieldErrors
	if errors.As(err, &fe) {
		return fmt.Errorf("%w: create-token: %s", errUsage, fe.Error())
	}
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintln(stdout, token); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "created the token \"%s\" for %s in %s\n", tokenName, u.Name, db.where())
	return nil
}
