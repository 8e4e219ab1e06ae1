package rcon

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"
)

// DefaultTimeout bounds a command (with the dial and the authentication it
// may need) when its context has no deadline.
const DefaultTimeout = 5 * time.Second

// MaxAnswer is the longest answer a command may bring; a longer one fails
// the command with ErrAnswerTooLong (L4D2's `cvarlist`, among the longest,
// is a few hundred KB).
const MaxAnswer = 1 << 20

// Errors of Exec. Their messages are sentences for users.
var (
	ErrBadPassword   = errors.New("the server refused the RCON password")
	ErrTooLong       = fmt.Errorf("an RCON command is at most %d bytes long", MaxBody)
	ErrNotOneLine    = errors.New("an RCON command is one line: it must not contain a line break or a NUL character (a second line would be a second command)")
	ErrAnswerTooLong = fmt.Errorf("the server's RCON answer is longer than %d bytes", MaxAnswer)
	ErrClosed        = errors.New("the RCON client is closed")
)

// CheckCommand returns ErrTooLong or ErrNotOneLine (wrapped) if Exec would
// refuse command, nil otherwise. Exec checks it too.
func CheckCommand(command string) error {
	if len(command) > MaxBody {
		return fmt.Errorf("%w; this one is %d bytes", ErrTooLong, len(command))
	}
	if i := strings.IndexAny(command, "\x00\r\n"); i >= 0 {
		return ErrNotOneLine
	}
	return nil
}

// Client runs RCON commands on one server over one TCP connection, which it
// opens on the first command and keeps open. It is safe for concurrent use:
// commands run one at a time, in the order they got the connection.
type Client struct {
	addr     string
	password string
	// Timeout replaces DefaultTimeout when not zero; set it before the
	// first Exec.
	Timeout time.Duration

	// dial opens the TCP connection; tests wrap what it returns.
	dial func(ctx context.Context, addr string) (net.Conn, error)

	turn   chan struct{} // holds one token: the right to use the fields below
	nc     net.Conn
	r      *bufio.Reader
	buf    *[maxSize]byte
	nextID int32
	closed bool
}

// NewClient returns a client for the server at addr (host:port) with the
// given RCON password. It dials nothing yet.
func NewClient(addr, password string) *Client {
	c := &Client{addr: addr, password: password, turn: make(chan struct{}, 1)}
	c.turn <- struct{}{}
	return c
}

// Exec runs command on the server and returns its answer, the bodies of
// all its RESPONSE_VALUE packets joined.
//
// A command that is not one line or is too long is refused before anything
// is sent (CheckCommand). A wrong password is ErrBadPassword. The context
// bounds the whole call; without a deadline the client's Timeout does.
//
// When the kept connection turns out to be broken (the server restarted,
// say), Exec dials again once — but it sends the command again only if it
// knows the command did not reach the server: before sending it checks
// that the server has not closed the connection, and a write that failed
// before the whole command went out is retried on a new connection. Once
// the command is sent, a connection that breaks before the answer came is
// an error saying the command may have run: a command such as `kick` or
// `changelevel` must not run twice because an answer was lost.
//
// Any error but a refused command closes the connection; the next Exec
// opens a new one.
func (c *Client) Exec(ctx context.Context, command string) (string, error) {
	if err := CheckCommand(command); err != nil {
		return "", err
	}
	select {
	case <-c.turn:
	case <-ctx.Done():
		return "", c.timeoutError(ctx.Err())
	}
	defer func() { c.turn <- struct{}{} }()
	if c.closed {
		return "", ErrClosed
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cmp.Or(max(c.Timeout, 0), DefaultTimeout))
		defer cancel()
	}

	fresh := false
	if c.nc != nil && peerClosed(c.nc) {
		c.drop()
	}
	if c.nc == nil {
		if err := c.connect(ctx); err != nil {
			return "", err
		}
		fresh = true
	}
	answer, sent, err := c.exchange(ctx, command)
	if err != nil && !sent && !fresh && ctx.Err() == nil && !errors.Is(err, os.ErrDeadlineExceeded) {
		c.drop()
		if err := c.connect(ctx); err != nil {
			return "", err
		}
		answer, sent, err = c.exchange(ctx, command)
	}
	if err != nil {
		c.drop()
		return "", c.describe(ctx, err, sent)
	}
	return answer, nil
}

// Close waits for a running command (at most its timeout), then closes the
// connection; later commands get ErrClosed.
func (c *Client) Close() error {
	<-c.turn
	defer func() { c.turn <- struct{}{} }()
	c.closed = true
	c.drop()
	return nil
}

// connect dials and authenticates.
func (c *Client) connect(ctx context.Context) error {
	dial := c.dial
	if dial == nil {
		var d net.Dialer
		dial = func(ctx context.Context, addr string) (net.Conn, error) { return d.DialContext(ctx, "tcp", addr) }
	}
	nc, err := dial(ctx, c.addr)
	if err != nil {
		if ctx.Err() != nil {
			return c.timeoutError(ctx.Err())
		}
		return fmt.Errorf("connect to RCON at %s: %w", c.addr, err)
	}
	c.nc, c.r, c.buf = nc, bufio.NewReader(nc), new([maxSize]byte)
	stop := c.watch(ctx)
	defer stop()
	err = c.auth()
	if err != nil {
		c.drop()
		if errors.Is(err, ErrBadPassword) {
			return err
		}
		return c.describe(ctx, fmt.Errorf("during authentication: %w", err), false)
	}
	return nil
}

func (c *Client) auth() error {
	id := c.id()
	if len(c.password) > MaxBody || strings.ContainsRune(c.password, 0) {
		return ErrBadPassword // no server could accept it
	}
	if _, err := c.nc.Write(appendPacket(nil, id, typeAuth, c.password)); err != nil {
		return err
	}
	// srcds sends an empty RESPONSE_VALUE first; anything that is not
	// the AUTH_RESPONSE is passed over.
	for {
		p, err := readPacket(c.r, c.buf)
		if err != nil {
			return err
		}
		if p.typ != typeAuthResponse {
			continue
		}
		switch p.id {
		case id:
			return nil
		case -1:
			return ErrBadPassword
		default:
			return fmt.Errorf("%w: an authentication answer for id %d, not %d", ErrMalformed, p.id, id)
		}
	}
}

// exchange sends the command and the marker and reads until the marker
// comes back. sent reports whether the command reached the connection
// whole, after which it must not be sent again.
func (c *Client) exchange(ctx context.Context, command string) (answer string, sent bool, err error) {
	stop := c.watch(ctx)
	defer stop()
	cmdID, markerID := c.id(), c.id()
	out := appendPacket(make([]byte, 0, 2*minSize+len(command)), cmdID, typeExecCommand, command)
	cmdLen := len(out)
	out = appendPacket(out, markerID, typeResponseValue, "")
	n, err := c.nc.Write(out)
	sent = n >= cmdLen
	if err != nil {
		return "", sent, err
	}
	var b strings.Builder
	for {
		p, err := readPacket(c.r, c.buf)
		if err != nil {
			return "", true, err
		}
		switch {
		case p.id == markerID:
			return b.String(), true, nil
		case p.typ == typeAuthResponse && p.id == -1:
			return "", true, ErrBadPassword
		case p.id == cmdID && p.typ == typeResponseValue:
			if b.Len()+len(p.body) > MaxAnswer {
				return "", true, ErrAnswerTooLong
			}
			b.WriteString(p.body)
		default:
			// Left over from an earlier exchange, such as the packet srcds
			// sends after mirroring a marker.
		}
	}
}

// watch makes the connection's I/O end when ctx ends; the returned func
// stops that.
func (c *Client) watch(ctx context.Context) func() {
	nc := c.nc
	if d, ok := ctx.Deadline(); ok {
		nc.SetDeadline(d)
	}
	stop := context.AfterFunc(ctx, func() { nc.SetDeadline(time.Unix(1, 0)) })
	return func() {
		stop()
		nc.SetDeadline(time.Time{})
	}
}

// id returns the next request id: positive, never -1.
func (c *Client) id() int32 {
	if c.nextID <= 0 || c.nextID == 1<<31-1 {
		c.nextID = 0
	}
	c.nextID++
	return c.nextID
}

func (c *Client) drop() {
	if c.nc != nil {
		c.nc.Close()
	}
	c.nc, c.r, c.buf = nil, nil, nil
}

func (c *Client) timeoutError(err error) error {
	return fmt.Errorf("no RCON answer from %s in time: %w", c.addr, err)
}

// describe turns an I/O error into a sentence that says whether the
// command may have run.
func (c *Client) describe(ctx context.Context, err error, sent bool) error {
	switch {
	case errors.Is(err, ErrBadPassword), errors.Is(err, ErrAnswerTooLong):
		return err
	case ctx.Err() != nil || errors.Is(err, os.ErrDeadlineExceeded):
		// The connection's deadline is the context's, and may pass a
		// moment before the context says so.
		err = cmp.Or(ctx.Err(), context.DeadlineExceeded)
		if sent {
			return fmt.Errorf("no RCON answer from %s in time; the command may have run: %w", c.addr, err)
		}
		return c.timeoutError(err)
	case sent:
		return fmt.Errorf("the RCON connection to %s broke before the answer came; the command may have run: %w", c.addr, brokenErr(err))
	default:
		return fmt.Errorf("the RCON connection to %s broke: %w", c.addr, brokenErr(err))
	}
}

func brokenErr(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("the server closed it: %w", err)
	}
	return err
}
