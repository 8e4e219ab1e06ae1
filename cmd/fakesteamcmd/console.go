package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
	"golang.org/x/term"
)

const (
	appID          = "222860"
	appName        = "Left 4 Dead 2 Dedicated Server"
	clientVersion  = "1737515347"
	defaultBuildID = "16412345"
	defaultSize    = 9876543210
	defaultSteps   = 8
	defaultDelay   = 250 * time.Millisecond
)

// Exit statuses of steamcmd.
const (
	exitOK       = 0
	exitUsage    = 1
	exitLogin    = 5
	exitAppError = 8
)

// run is steamcmd.sh: it runs the console as a child process with the
// same terminal and passes its exit status on.
func run(args []string, stdin, stdout *os.File, getenv func(string) string) int {
	if getenv("FAKESTEAMCMD_CHILD") == "1" {
		if p := getenv("FAKESTEAMCMD_PIDFILE"); p != "" {
			_ = os.WriteFile(p, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644)
		}
		c, err := newConsole(stdin, stdout, getenv)
		if err != nil {
			fmt.Fprintf(stdout, "fakesteamcmd: %v\n", err)
			return exitUsage
		}
		return c.main(args)
	}
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintf(stdout, "fakesteamcmd: %v\n", err)
		return exitUsage
	}
	root, err := rootDir(getenv)
	if err != nil {
		fmt.Fprintf(stdout, "fakesteamcmd: %v\n", err)
		return exitUsage
	}
	if err := os.MkdirAll(filepath.Join(root, "logs"), 0o755); err != nil {
		fmt.Fprintf(stdout, "fakesteamcmd: %v\n", err)
		return exitUsage
	}
	// steamcmd sends its stderr to a log file and says so.
	stderr, err := os.OpenFile(filepath.Join(root, "logs", "stderr.txt"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		fmt.Fprintf(stdout, "fakesteamcmd: %v\n", err)
		return exitUsage
	}
	defer stderr.Close()
	cmd := exec.Command(self, args...)
	cmd.Env = append(os.Environ(), "FAKESTEAMCMD_CHILD=1")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, stdout, stderr
	err = cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ee):
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		return ee.ExitCode()
	default:
		fmt.Fprintf(stdout, "fakesteamcmd: %v\n", err)
		return exitUsage
	}
}

func rootDir(getenv func(string) string) (string, error) {
	if r := getenv("FAKESTEAMCMD_ROOT"); r != "" {
		return filepath.Abs(r)
	}
	self, err := os.Executable()
	if err != nil {
		return "", err
	}
	return filepath.Dir(self), nil
}

// command is one "+name args..." of the command line, or one line typed
// at the Steam> prompt.
type command struct {
	name string
	args []string
}

// parseCommandLine splits steamcmd's arguments into commands: each
// argument starting with "+" begins one, the arguments after it are its
// own. Words before the first command are ignored, as steamcmd does.
func parseCommandLine(args []string) []command {
	var cmds []command
	for _, a := range args {
		if strings.HasPrefix(a, "+") && len(a) > 1 {
			cmds = append(cmds, command{name: a[1:]})
			continue
		}
		if len(cmds) > 0 {
			cmds[len(cmds)-1].args = append(cmds[len(cmds)-1].args, a)
		}
	}
	return cmds
}

// console is steamcmd's console: what it prints and the state between
// commands.
type console struct {
	getenv func(string) string
	in     *bufio.Reader
	inFile *os.File
	out    io.Writer
	buf    *bufio.Writer // nil on a terminal
	tty    bool

	root    string
	dir     string // +force_install_dir
	login   string // "" until logged in
	cvars   map[string]string
	exit    int
	buildID string
	size    int64
	steps   int
	delay   time.Duration
}

func newConsole(stdin, stdout *os.File, getenv func(string) string) (*console, error) {
	root, err := rootDir(getenv)
	if err != nil {
		return nil, err
	}
	c := &console{getenv: getenv, in: bufio.NewReader(stdin), inFile: stdin, root: root,
		cvars: map[string]string{}, buildID: defaultBuildID, size: defaultSize, steps: defaultSteps, delay: defaultDelay}
	c.tty = term.IsTerminal(int(stdout.Fd()))
	if c.tty {
		c.out = stdout
	} else {
		c.buf = bufio.NewWriterSize(stdout, 4096)
		c.out = c.buf
	}
	if v := getenv("FAKESTEAMCMD_BUILDID"); v != "" {
		c.buildID = v
	}
	if v := getenv("FAKESTEAMCMD_SIZE"); v != "" {
		if c.size, err = strconv.ParseInt(v, 10, 64); err != nil || c.size <= 0 {
			return nil, fmt.Errorf("FAKESTEAMCMD_SIZE=%q is not a positive number", v)
		}
	}
	if v := getenv("FAKESTEAMCMD_STEPS"); v != "" {
		if c.steps, err = strconv.Atoi(v); err != nil || c.steps < 2 {
			return nil, fmt.Errorf("FAKESTEAMCMD_STEPS=%q is not a number of at least 2", v)
		}
	}
	if v := getenv("FAKESTEAMCMD_STEP_DELAY"); v != "" {
		if c.delay, err = time.ParseDuration(v); err != nil {
			return nil, fmt.Errorf("FAKESTEAMCMD_STEP_DELAY: %v", err)
		}
	}
	c.dir = filepath.Join(root, "steamapps", "common", appName)
	return c, nil
}

func (c *console) printf(format string, args ...any) {
	fmt.Fprintf(c.out, format, args...)
}

// flush writes what is buffered; steamcmd's stdio does it at exit (and
// when 4 KiB are full), not at every line, into a pipe.
func (c *console) flush() {
	if c.buf != nil {
		_ = c.buf.Flush()
	}
}

// main runs the command line, then the Steam> prompt unless a command
// ended the program, and returns the exit status.
func (c *console) main(args []string) int {
	defer c.flush()
	if err := c.bootstrap(); err != nil {
		c.printf("fakesteamcmd: %v\n", err)
		return exitUsage
	}
	for _, cmd := range parseCommandLine(args) {
		if c.exec(cmd) {
			return c.exit
		}
	}
	for {
		line, err := c.ask("\nSteam>", echoAsIs)
		if err != nil {
			return c.exit
		}
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if c.exec(command{name: f[0], args: f[1:]}) {
			return c.exit
		}
	}
}

// bootstrap prints steamcmd's start-up and puts its own files in place.
func (c *console) bootstrap() error {
	logs := filepath.Join(c.root, "logs")
	c.printf("Redirecting stderr to '%s'\n", filepath.Join(logs, "stderr.txt"))
	c.printf("Logging directory: '%s'\n", logs)
	if c.tty {
		c.printf("[  0%%] Checking for available updates...\r[----] Verifying installation...\n")
	} else {
		c.printf("[  0%%] Checking for available updates...\n[----] Verifying installation...\n")
	}
	so := filepath.Join(c.root, "linux32", "steamclient.so")
	if _, err := os.Stat(so); err != nil {
		if err := os.MkdirAll(filepath.Dir(so), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(so, []byte("fakesteamcmd's stand-in for steamclient.so\n"), 0o755); err != nil {
			return err
		}
	}
	c.printf("Steam Console Client (c) Valve Corporation - version %s\n", clientVersion)
	c.printf("-- type 'quit' to exit --\n")
	c.printf("Loading Steam API...OK\n")
	return nil
}

// exec runs one command; it reports true when the program ends.
func (c *console) exec(cmd command) bool {
	arg := func(i int) string {
		if i < len(cmd.args) {
			return cmd.args[i]
		}
		return ""
	}
	switch {
	case strings.HasPrefix(cmd.name, "@"):
		c.cvars[strings.ToLower(cmd.name)] = arg(0)
		c.printf("\"%s\" = \"%s\"\n", cmd.name, arg(0))
	case cmd.name == "force_install_dir":
		if c.login != "" {
			c.printf("Please use force_install_dir before logon!\n")
		}
		if d, err := filepath.Abs(arg(0)); err == nil && arg(0) != "" {
			c.dir = d
		}
	case cmd.name == "login":
		return !c.doLogin(cmd.args)
	case cmd.name == "app_update":
		c.appUpdate(arg(0), contains(cmd.args[min(1, len(cmd.args)):], "validate"))
	case cmd.name == "app_info_update":
		if c.login == "" {
			c.printf("ERROR! Failed to request AppInfo update, not online or not logged in to Steam.\n")
			c.exit = exitUsage
		}
	case cmd.name == "app_info_print":
		c.appInfoPrint(arg(0))
	case cmd.name == "workshop_download_item":
		c.workshopDownload(arg(0), arg(1))
	case cmd.name == "quit" || cmd.name == "exit":
		c.printf("Unloading Steam API...OK\n")
		return true
	default:
		c.printf("Command not found: %s\n", cmd.name)
	}
	return false
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

// doLogin logs in; it reports false when the login failed (the program
// then ends with exitLogin).
func (c *console) doLogin(args []string) bool {
	if len(args) == 0 {
		c.printf("login <username> [<password>] [<Steam guard code>]\n")
		return true
	}
	fail := func(why string) bool {
		c.printf("FAILED (%s)\n", why)
		c.exit = exitLogin
		return false
	}
	user := args[0]
	if user == "anonymous" {
		c.printf("Connecting anonymously to Steam Public...")
		c.pause()
		if c.getenv("FAKESTEAMCMD_RATE_LIMIT") == "1" {
			return fail("Rate Limit Exceeded")
		}
		c.printf("OK\n")
	} else {
		password, given := "", ""
		if len(args) > 1 {
			password = args[1]
		}
		if len(args) > 2 {
			given = args[2] // a code on the command line is asked for no more
		}
		want := c.getenv("FAKESTEAMCMD_PASSWORD")
		if want != "" && password == "" {
			line, err := c.ask("password: ", echoOff)
			c.printf("\n")
			if err != nil {
				return fail("Invalid Password")
			}
			password = line
		}
		if password != "" {
			c.printf("Logging in using username/password.\n")
		}
		c.printf("Logging in user '%s' [U:1:%d] to Steam Public...", user, 100000000+len(user))
		c.pause()
		if c.getenv("FAKESTEAMCMD_RATE_LIMIT") == "1" {
			return fail("Rate Limit Exceeded")
		}
		if want != "" && password != want {
			return fail("Invalid Password")
		}
		if code := c.getenv("FAKESTEAMCMD_GUARD_CODE"); code != "" && given != code {
			c.printf("\nThis computer has not been authenticated for your account using Steam Guard.\n")
			c.printf("Please check your email for the message from Steam, and enter the Steam Guard\n")
			c.printf(" code from that message.\n")
			c.printf("You can also enter this code at any time using 'set_steam_guard_code'\n")
			c.printf(" at the console.\n")
			got, err := c.ask("Steam Guard code:", echoOn)
			if err != nil || got != code {
				c.printf("Logging in user '%s' [U:1:%d] to Steam Public...", user, 100000000+len(user))
				return fail("Invalid Login Auth Code")
			}
			c.printf("Logging in user '%s' [U:1:%d] to Steam Public...", user, 100000000+len(user))
		}
		if code := c.getenv("FAKESTEAMCMD_TWO_FACTOR"); code != "" && given != code {
			c.printf("\nEnter the current code from your Steam Guard Mobile Authenticator app\n")
			got, err := c.ask("Two-factor code:", echoOn)
			if err != nil || got != code {
				c.printf("Logging in user '%s' [U:1:%d] to Steam Public...", user, 100000000+len(user))
				return fail("Two-factor code mismatch")
			}
			c.printf("Logging in user '%s' [U:1:%d] to Steam Public...", user, 100000000+len(user))
		}
		c.printf("OK\n")
	}
	c.printf("Waiting for client config...OK\n")
	c.printf("Waiting for user info...OK\n")
	c.login = user
	return true
}

// echo says what ask does with the terminal's echo.
type echo int

const (
	echoAsIs echo = iota
	echoOn        // a Steam Guard code shows as it is typed
	echoOff       // a password does not
)

// ask prints prompt (without a newline) and reads one line from stdin.
// On a terminal it sets the echo before the prompt shows, as getpass
// does, and restores the terminal after.
func (c *console) ask(prompt string, e echo) (string, error) {
	fd := int(c.inFile.Fd())
	if tio, err := unix.IoctlGetTermios(fd, unix.TCGETS); err == nil && e != echoAsIs {
		saved := *tio
		if e == echoOn {
			tio.Lflag |= unix.ECHO
		} else {
			tio.Lflag &^= unix.ECHO
		}
		_ = unix.IoctlSetTermios(fd, unix.TCSETS, tio)
		defer unix.IoctlSetTermios(fd, unix.TCSETS, &saved)
	}
	c.printf("%s", prompt)
	line, err := c.in.ReadString('\n')
	if err != nil && line == "" {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// pause is the time between two steps of a run.
func (c *console) pause() {
	time.Sleep(c.delay)
}

// progress prints one progress line.
func (c *console) progress(state int, word string, done, total int64) {
	pct := 0.0
	if total > 0 {
		pct = float64(done) * 100 / float64(total)
	}
	c.printf(" Update state (0x%x) %s, progress: %.2f (%d / %d)\n", state, word, pct, done, total)
}

func (c *console) platform() string {
	if p := c.cvars["@ssteamcmdforceplatformtype"]; p != "" {
		return p
	}
	return "linux"
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// appUpdate is app_update.
func (c *console) appUpdate(id string, validate bool) {
	fail := func(format string, args ...any) {
		c.printf(format+"\n", args...)
		c.exit = exitAppError
	}
	switch {
	case c.login == "":
		fail("ERROR! Failed to install app '%s' (No connection)", id)
		return
	case id != appID:
		fail("ERROR! Failed to install app '%s' (No subscription)", id)
		return
	case c.login != "anonymous" && c.getenv("FAKESTEAMCMD_NO_LICENSE") == "1":
		fail("ERROR! Failed to install app '%s' (No subscription)", id)
		return
	}
	plat := c.platform()
	if plat != "windows" && plat != "linux" {
		fail("ERROR! Failed to install app '%s' (Invalid platform)", id)
		return
	}
	if c.login == "anonymous" && plat == "linux" && !exists(filepath.Join(c.dir, "srcds.exe")) {
		fail("ERROR! Failed to install app '%s' (Invalid platform)", id)
		return
	}
	if c.login != "anonymous" {
		c.printf("AppID %s already owned.\n", id)
	}
	program := map[string]string{"windows": "srcds.exe", "linux": "srcds_run"}[plat]
	old, hasManifest := readManifest(c.dir)
	current := hasManifest && old.buildID == c.buildID && old.complete() && exists(filepath.Join(c.dir, program))
	if current && !validate {
		c.printf("Success! App '%s' already up to date.\n", id)
		return
	}
	c.progress(0x3, "reconfiguring", 0, 0)
	c.pause()
	if validate && hasManifest {
		for i := 1; i <= c.steps/2; i++ {
			c.progress(0x5, "validating", c.size*int64(i)/int64(c.steps/2), c.size)
			c.pause()
		}
	}
	if current {
		c.progress(0x81, "committing", c.size, c.size)
		c.finish(plat, program, old.sizeOnDisk)
		return
	}
	if d := c.getenv("FAKESTEAMCMD_SILENCE"); d != "" {
		if quiet, err := time.ParseDuration(d); err == nil {
			time.Sleep(quiet)
		}
	}
	// A pass over a complete installation of this build fetches only its
	// platform's files, a twentieth of the whole here.
	total := c.size
	if hasManifest && old.buildID == c.buildID && old.complete() {
		total = c.size / 20
	}
	c.progress(0x11, "preallocating", 0, total)
	m := manifest{buildID: old.buildID, target: c.buildID, stateFlags: 1026, toDownload: total, sizeOnDisk: old.sizeOnDisk}
	if err := writeManifest(c.dir, m); err != nil {
		fail("Error! App '%s' state is 0x%x after update job.", id, 0x202)
		return
	}
	c.pause()
	failOnce := c.getenv("FAKESTEAMCMD_FAIL_ONCE")
	if failOnce == plat || failOnce == "any" {
		marker := filepath.Join(c.root, "failed-once-"+plat)
		if !exists(marker) {
			_ = os.WriteFile(marker, nil, 0o644)
			c.progress(0x61, "downloading", total/(int64(c.steps)*3), total)
			c.pause()
			fail("Error! App '%s' state is 0x%x after update job.", id, 0x602)
			return
		}
	}
	for i := 1; i <= c.steps; i++ {
		done := total * int64(i) / int64(c.steps)
		c.progress(0x61, "downloading", done, total)
		m.downloaded = done
		if c.getenv("FAKESTEAMCMD_DISK_FULL") == "1" && i > c.steps/2 {
			m.stateFlags = 1030
			_ = writeManifest(c.dir, m)
			fail("Error! App '%s' state is 0x%x after update job.", id, 0x202)
			return
		}
		if i == 1 {
			c.afterFirstDownloadLine()
		}
		c.pause()
	}
	c.progress(0x81, "committing", total, total)
	c.pause()
	c.finish(plat, program, c.size)
}

// afterFirstDownloadLine holds the download where a switch says so.
func (c *console) afterFirstDownloadLine() {
	if c.getenv("FAKESTEAMCMD_HANG") == "1" {
		signal.Ignore(syscall.SIGTERM, syscall.SIGHUP, syscall.SIGINT)
		for {
			time.Sleep(time.Hour)
		}
	}
	if gate := c.getenv("FAKESTEAMCMD_GATE"); gate != "" {
		for !exists(gate) {
			time.Sleep(5 * time.Millisecond)
		}
	}
}

// finish puts the platform's files in place, writes the finished manifest
// and says so.
func (c *console) finish(plat, program string, size int64) {
	last, _ := readManifest(c.dir)
	if err := c.installFiles(plat, program); err != nil {
		fmt.Fprintf(os.Stderr, "fakesteamcmd: %v\n", err)
		c.printf("Error! App '%s' state is 0x%x after update job.\n", appID, 0x202)
		c.exit = exitAppError
		return
	}
	m := manifest{buildID: c.buildID, target: c.buildID, stateFlags: 4, toDownload: last.toDownload,
		downloaded: last.toDownload, sizeOnDisk: size, lastUpdated: time.Now().Unix()}
	if err := writeManifest(c.dir, m); err != nil {
		fmt.Fprintf(os.Stderr, "fakesteamcmd: %v\n", err)
		c.printf("Error! App '%s' state is 0x%x after update job.\n", appID, 0x202)
		c.exit = exitAppError
		return
	}
	c.printf("Success! App '%s' fully installed.\n", appID)
}

func (c *console) installFiles(plat, program string) error {
	if err := os.MkdirAll(filepath.Join(c.dir, "left4dead2", "cfg"), 0o755); err != nil {
		return err
	}
	dst := filepath.Join(c.dir, program)
	if plat == "windows" {
		return os.WriteFile(dst, []byte("fakesteamcmd's stand-in for the Windows srcds.exe\n"), 0o644)
	}
	src := c.getenv("FAKESTEAMCMD_SRCDS")
	if src == "" {
		script := "#!/bin/sh\necho 'srcds_run installed by fakesteamcmd without FAKESTEAMCMD_SRCDS: nothing to run' >&2\nexit 1\n"
		return os.WriteFile(dst, []byte(script), 0o755)
	}
	b, err := os.ReadFile(src)
	if err != nil {
		return fmt.Errorf("FAKESTEAMCMD_SRCDS: %w", err)
	}
	tmp := dst + ".tmp"
	if err := os.WriteFile(tmp, b, 0o755); err != nil {
		return err
	}
	return os.Rename(tmp, dst)
}

// appInfoPrint is app_info_print.
func (c *console) appInfoPrint(id string) {
	if c.login == "" {
		c.printf("ERROR! Failed to request AppInfo, not online or not logged in to Steam.\n")
		return
	}
	if id != appID || c.appInfoWithheld() {
		c.printf("No app info for AppID %s found, requesting...\n", id)
		return
	}
	cache := filepath.Join(c.root, "appcache", "appinfo.vdf")
	build := c.buildID
	if b, err := os.ReadFile(cache); err == nil {
		if f := strings.Fields(string(b)); len(f) >= 2 && f[len(f)-2] == "buildid" {
			build = f[len(f)-1]
		}
	} else {
		_ = os.MkdirAll(filepath.Dir(cache), 0o755)
		_ = os.WriteFile(cache, []byte("fakesteamcmd app info cache\nbuildid "+build+"\n"), 0o644)
	}
	c.printf("%s", appInfo(build, time.Now()))
}

// appInfoWithheld counts app_info_print runs against
// FAKESTEAMCMD_APPINFO_EMPTY and reports whether this one prints nothing.
func (c *console) appInfoWithheld() bool {
	v := c.getenv("FAKESTEAMCMD_APPINFO_EMPTY")
	if v == "" {
		return false
	}
	if v == "always" {
		return true
	}
	limit, err := strconv.Atoi(v)
	if err != nil {
		return false
	}
	counter := filepath.Join(c.root, "appinfo-empty-count")
	n := 0
	if b, err := os.ReadFile(counter); err == nil {
		n, _ = strconv.Atoi(strings.TrimSpace(string(b)))
	}
	if n >= limit {
		return false
	}
	_ = os.WriteFile(counter, []byte(strconv.Itoa(n+1)), 0o644)
	return true
}

// workshopApp is Left 4 Dead 2, whose workshop items a server loads.
const workshopApp = "550"

// workshopDownload is workshop_download_item: it writes the item's file,
// steamapps/workshop/content/550/ID/ID_fake.vpk (a VPK header, then
// words naming the item, FAKESTEAMCMD_WORKSHOP_SIZE bytes in all,
// default 4096), and says where, as steamcmd does. Not logged in, an
// app other than 550, an id in FAKESTEAMCMD_WORKSHOP_MISSING (a comma
// list) or one that is not digits fail as steamcmd's download does.
func (c *console) workshopDownload(app, id string) {
	fail := func(reason string) {
		c.printf("ERROR! Download item %s failed (%s).\n", id, reason)
	}
	missing := strings.Split(c.getenv("FAKESTEAMCMD_WORKSHOP_MISSING"), ",")
	switch {
	case c.login == "":
		fail("No connection")
		return
	case app != workshopApp:
		fail("Failure")
		return
	case id == "" || strings.Trim(id, "0123456789") != "" || contains(missing, id):
		fail("File Not Found")
		return
	}
	size := int64(4096)
	if v := c.getenv("FAKESTEAMCMD_WORKSHOP_SIZE"); v != "" {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && n >= 16 {
			size = n
		}
	}
	c.printf("Downloading item %s ...\n", id)
	c.pause()
	dir := filepath.Join(c.dir, "steamapps", "workshop", "content", workshopApp, id)
	body := []byte{0x34, 0x12, 0xaa, 0x55} // a VPK's signature
	for int64(len(body)) < size {
		body = append(body, []byte("fake workshop item "+id+"\n")...)
	}
	body = body[:size]
	path := filepath.Join(dir, id+"_fake.vpk")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fail("Disk write failure")
		return
	}
	if err := os.WriteFile(path, body, 0o644); err != nil {
		fail("Disk write failure")
		return
	}
	c.printf("Success. Downloaded item %s to \"%s\" (%d bytes)\n", id, dir, size)
}
