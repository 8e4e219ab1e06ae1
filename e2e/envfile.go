package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Step 10c's instance, set up by left4me by hand with no panel, and the
// root-only files it points at.
const (
	leakName   = "leak-1"
	leakUnit   = "left4me-server@" + leakName + ".service"
	leakDir    = "/var/lib/left4me/instances/" + leakName
	leakPort   = port + 3
	secretFile = "/etc/left4me-e2e-secret.env" // root's, 0600
	secretDir  = "/etc/left4me-e2e-secret"     // root's, 0700, holding instance.env (0600)
	secretKey  = "LEFT4ME_E2E_SECRET"
)

// rootsSecretsStayRoots: step 10c. The instance unit used to name
// instance.env in EnvironmentFile=, which PID 1 reads as root, following
// symlinks: left4me pointed it at a root-only KEY=VALUE file and read the
// value in srcds's /proc/PID/environ. As left4me, instance.env and then
// the instance's whole directory become symlinks to root-only files
// holding a secret in an otherwise working instance.env, and the unit is
// started each time: it must not run a server, and the secret must be
// nowhere left4me can read it.
func (b *bed) rootsSecretsStayRoots(ctx context.Context) {
	b.r.step("10c. as left4me, instance.env and then the instance's directory linked to root-only files holding a secret")
	raw := make([]byte, 12)
	if _, err := rand.Read(raw); err != nil {
		b.r.check("make a secret", err)
		return
	}
	secret := "e2e-" + hex.EncodeToString(raw)
	env := fmt.Sprintf("LEFT4ME_INSTANCE=%q\nLEFT4ME_PORT=\"%d\"\nSRCDS_ARGS=\"+map %s\"\n%s=%q\n",
		leakName, leakPort, gameMap, secretKey, secret)
	res := b.c.exec(ctx, env, "sh", "-c", `set -e
umask 077
rm -rf `+secretFile+` `+secretDir+`
cat >`+secretFile+`
mkdir `+secretDir+`
cp `+secretFile+` `+secretDir+`/instance.env
stat -c '%a %U %n' `+secretFile+` `+secretDir+` `+secretDir+`/instance.env`)
	err := codeIs(res, 0)
	if want := "600 root " + secretFile + "\n700 root " + secretDir + "\n600 root " + secretDir + "/instance.env\n"; err == nil && res.out != want {
		err = fmt.Errorf("got:\n%s", res.out)
	}
	if !b.r.check("root's "+secretFile+" (0600) and "+secretDir+"/instance.env (0700 directory) hold a working instance.env for port "+
		strconv.Itoa(leakPort)+" and "+secretKey, err) {
		return
	}
	defer func() {
		res := b.sh(ctx, "rm -rf "+secretFile+" "+secretDir)
		b.r.check("remove "+secretFile+" and "+secretDir, codeIs(res, 0))
	}()

	res = b.asLeft4me(ctx, "sh", "-c", "mkdir -m 0750 "+leakDir+" && ln -s "+secretFile+" "+leakDir+"/instance.env && ! cat "+leakDir+"/instance.env")
	err = codeIs(res, 0)
	if err == nil && !strings.Contains(res.err, "Permission denied") {
		err = fmt.Errorf("want cat's Permission denied, got %s", res)
	}
	if !b.r.check("as left4me, make "+leakDir+" with instance.env a symlink to "+secretFile+", which left4me cannot read itself", err) {
		return
	}
	b.startWithSecret(ctx, secret, "left4me-srcds: cannot read instance.env in "+leakDir,
		"with instance.env a symlink to "+secretFile)

	res = b.asLeft4me(ctx, "sh", "-c", "rm "+leakDir+"/instance.env && rmdir "+leakDir+" && ln -s "+secretDir+" "+leakDir)
	if !b.r.check("as left4me, replace "+leakDir+" with a symlink to "+secretDir, codeIs(res, 0)) {
		return
	}
	// systemd enters WorkingDirectory= as left4me, after dropping root.
	b.startWithSecret(ctx, secret, "Changing to the requested working directory failed: Permission denied",
		"with "+leakDir+" a symlink to "+secretDir)
	res = b.asLeft4me(ctx, "rm", leakDir)
	b.r.check("as left4me, remove the symlink "+leakDir, codeIs(res, 0))
}

// startWithSecret starts leak-1, waits for refusal in its log, and checks
// that secret is in no environment of a left4me process (the unit's main
// one, the panel's), nor in the unit's log as the panel reads it, nor
// anywhere in this boot's journal. Then it stops the unit and resets
// its failures (and so its start limit).
func (b *bed) startWithSecret(ctx context.Context, secret, refusal, when string) {
	since := strings.TrimSpace(b.sh(ctx, "date +%s").out)
	res := b.c.exec(ctx, "", "systemctl", "start", leakUnit)
	b.r.note("systemctl start %s %s: exit status %d", leakUnit, when, res.code)
	err := waitFor(ctx, 15*time.Second, func() error {
		res := b.c.exec(ctx, "", "journalctl", "-u", leakUnit, "--since", "@"+since, "--no-pager", "-o", "cat")
		if err := codeIs(res, 0); err != nil {
			return err
		}
		if !strings.Contains(res.out, refusal) {
			return fmt.Errorf("no %q in the unit's log:\n%s", refusal, res.out)
		}
		return nil
	})
	b.r.check(leakUnit+" "+when+" runs no game server: its log says "+refusal, err)

	// Every left4me process's environment, the unit's main process (if
	// it has one now) among them; the panel's shows the read is real.
	res = b.sh(ctx, `main=$(systemctl show -p MainPID --value `+leakUnit+`)
echo "main PID $main"
for p in $(pgrep -u left4me); do
	tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null || true
done`)
	err = codeIs(res, 0)
	if err == nil && !strings.Contains(res.out, "LEFT4ME_DB=") {
		err = fmt.Errorf("the panel's environment was not among those read:\n%s", res.out)
	}
	if err == nil && strings.Contains(res.out, secret) {
		err = fmt.Errorf("the secret is in a left4me process's environment:\n%s", res.out)
	}
	b.r.check("the secret is in no left4me process's /proc/PID/environ ("+strings.SplitN(res.out, "\n", 2)[0]+")", err)

	res = b.asLeft4me(ctx, "sudo", "-n", journalctlHelper, leakName, "--lines", "1000", "--no-follow")
	err = codeIs(res, 0)
	if err == nil && !strings.Contains(res.out, refusal) {
		err = fmt.Errorf("no %q in:\n%s", refusal, res.out)
	}
	if err == nil && strings.Contains(res.out, secret) {
		err = fmt.Errorf("the secret is in the unit's log:\n%s", res.out)
	}
	b.r.check("the unit's log as the panel reads it (sudo -n left4me-journalctl) has the refusal and not the secret", err)

	res = b.sh(ctx, "journalctl --sync; journalctl -b -o export --no-pager | grep -a -c -F -e '"+secret+"' || true")
	err = codeIs(res, 0)
	if err == nil && strings.TrimSpace(res.out) != "0" {
		err = fmt.Errorf("%s journal entries hold the secret", strings.TrimSpace(res.out))
	}
	b.r.check("no field of any entry in this boot's journal holds the secret", err)

	res = b.sh(ctx, "systemctl stop "+leakUnit+" && { systemctl reset-failed "+leakUnit+" 2>/dev/null || true; } && systemctl is-active "+leakUnit)
	b.r.check("systemctl stop "+leakUnit+", reset-failed: inactive", wantWord(strings.TrimSpace(res.out), "inactive"))
}
