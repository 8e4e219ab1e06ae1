package a2s

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// Want says what a Client asks a server for; combine with |.
type Want uint8

// What a query asks for.
const (
	WantInfo    Want = 1 << iota // A2S_INFO
	WantPlayers                  // A2S_PLAYER
	WantRules                    // A2S_RULES
)

// ErrNoAnswer reports a server that did not answer within the Client's
// timeout (a hung or overloaded server, a firewall, or a port nobody
// listens on where the refusal could not be seen).
var ErrNoAnswer = errors.New("no answer")

// ErrRefused reports a server whose host answered a request with ICMP
// "port unreachable": nothing listens on that port.
var ErrRefused = errors.New("refused: ICMP port unreachable")

// Result is what one server answered.
type Result struct {
	// Addr is the address as it was asked.
	Addr string
	// Info is the A2S_INFO answer; nil when it was not asked for or did
	// not come.
	Info *Info
	// Players is the A2S_PLAYER answer, empty (not nil) when nobody
	// plays; nil when it was not asked for or did not come.
	Players []Player
	// Rules is the A2S_RULES answer, nil when it was not asked for or did
	// not come.
	Rules []Rule
	// RTT is the time from the first request to the first packet that
	// came back (a challenge counts): the network's round trip plus the
	// server's delay. Zero when nothing came back.
	RTT time.Duration
	// Err is nil when everything asked for came. Otherwise it says what
	// went wrong as a sentence naming the address ("a2s 127.0.0.1:27015:
	// no answer within 1s"; errors.Is ErrNoAnswer, ErrRefused,
	// ErrMalformed, ErrCompressed or the context's error), and what did
	// come is still set.
	Err error
}

// ClientOpts configures a Client. The zero value gives the defaults.
type ClientOpts struct {
	// Listen is the local address of the client's UDP socket; default
	// ":0" (every address, a free port).
	Listen string
	// Timeout bounds one server's query, from its first request to its
	// last answer; default 1 s.
	Timeout time.Duration
	// Resend is how long a query waits for an answer before it sends its
	// requests again (UDP may drop a packet); default Timeout/3.
	Resend time.Duration
	// Concurrency is how many servers the client queries at once; more
	// wait for a place. Default 256.
	Concurrency int
}

// Client queries Source servers over one UDP socket, many at once. It
// tells the replies apart by their source address, so it queries one
// address at a time (a second query of the same address waits for the
// first) and drops packets from addresses it is not querying. It
// answers every challenge itself. A Client is safe for concurrent use.
type Client struct {
	conn    *net.UDPConn
	timeout time.Duration
	resend  time.Duration
	slots   chan struct{}
	closed  chan struct{}
	readers sync.WaitGroup

	mu        sync.Mutex
	exchanges map[netip.AddrPort]*exchange
}

// exchange is one query in flight: the reader hands it the packets from
// its address.
type exchange struct {
	in      chan []byte
	refused chan struct{} // closed on ICMP port unreachable
	once    sync.Once
	done    chan struct{} // closed when the query ends
}

// NewClient opens the client's socket. Close it when done.
func NewClient(opts ClientOpts) (*Client, error) {
	if opts.Listen == "" {
		opts.Listen = ":0"
	}
	if opts.Timeout <= 0 {
		opts.Timeout = time.Second
	}
	if opts.Resend <= 0 {
		opts.Resend = opts.Timeout / 3
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 256
	}
	laddr, err := net.ResolveUDPAddr("udp", opts.Listen)
	if err != nil {
		return nil, fmt.Errorf("a2s client: %w", err)
	}
	conn, err := net.ListenUDP("udp", laddr)
	if err != nil {
		return nil, fmt.Errorf("a2s client: %w", err)
	}
	// A sweep's answers arrive together: room for a few hundred of them.
	conn.SetReadBuffer(1 << 20)
	c := &Client{
		conn: conn, timeout: opts.Timeout, resend: opts.Resend,
		slots:     make(chan struct{}, opts.Concurrency),
		closed:    make(chan struct{}),
		exchanges: make(map[netip.AddrPort]*exchange),
	}
	watchRefusals(conn)
	c.readers.Add(1)
	go c.read()
	return c, nil
}

// LocalAddr is the address of the client's socket.
func (c *Client) LocalAddr() net.Addr { return c.conn.LocalAddr() }

// Close closes the socket; queries in flight end with an error.
func (c *Client) Close() error {
	select {
	case <-c.closed:
		return nil
	default:
	}
	close(c.closed)
	err := c.conn.Close()
	c.readers.Wait()
	return err
}

// read hands every packet to the exchange of its source address, until
// the socket is closed.
func (c *Client) read() {
	defer c.readers.Done()
	buf := make([]byte, 64<<10)
	for {
		n, from, err := c.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// An ICMP error: learn whose it was (Linux) and read on.
			c.refusals()
			continue
		}
		ex := c.lookup(from)
		if ex == nil {
			continue // from an address nobody asked
		}
		select {
		case ex.in <- append([]byte(nil), buf[:n]...):
		default: // the query is flooded: drop, as the network might
		}
	}
}

// refusals tells the exchanges whose servers refused (ICMP port
// unreachable) so.
func (c *Client) refusals() {
	for _, to := range readRefusals(c.conn) {
		if ex := c.lookup(to); ex != nil {
			ex.once.Do(func() { close(ex.refused) })
		}
	}
}

// write sends p to the server at to. With IP_RECVERR a send reports an
// ICMP error that came for another server, once: that one is told, and
// the send tried again.
func (c *Client) write(p []byte, to netip.AddrPort) error {
	_, err := c.conn.WriteToUDPAddrPort(p, to)
	for try := 0; errors.Is(err, syscall.ECONNREFUSED) && try < 3; try++ {
		c.refusals()
		_, err = c.conn.WriteToUDPAddrPort(p, to)
	}
	return err
}

func (c *Client) lookup(from netip.AddrPort) *exchange {
	key := netip.AddrPortFrom(from.Addr().Unmap(), from.Port())
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.exchanges[key]
}

// begin registers an exchange for to, waiting while another query of the
// same address runs.
func (c *Client) begin(ctx context.Context, to netip.AddrPort) (*exchange, error) {
	for {
		c.mu.Lock()
		busy := c.exchanges[to]
		if busy == nil {
			ex := &exchange{in: make(chan []byte, 2*MaxParts), refused: make(chan struct{}), done: make(chan struct{})}
			c.exchanges[to] = ex
			c.mu.Unlock()
			return ex, nil
		}
		c.mu.Unlock()
		select {
		case <-busy.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-c.closed:
			return nil, net.ErrClosed
		}
	}
}

func (c *Client) end(to netip.AddrPort, ex *exchange) {
	c.mu.Lock()
	delete(c.exchanges, to)
	c.mu.Unlock()
	close(ex.done)
}

// Sweep queries every address in addrs at once (up to the client's
// concurrency) for what want names and returns their results in the
// order of addrs. It returns when every query ended: after the client's
// timeout at most, when no query had to wait for a place or for an
// earlier query of the same address.
func (c *Client) Sweep(ctx context.Context, addrs []string, want Want) []Result {
	results := make([]Result, len(addrs))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(len(addrs), cap(c.slots)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				results[i] = c.Query(ctx, addrs[i], want)
			}
		}()
	}
	for i := range addrs {
		next <- i
	}
	close(next)
	wg.Wait()
	return results
}

// Query asks the server at addr (host:port) for what want names (0 means
// WantInfo), answering its challenges, and returns within the client's
// timeout (or when ctx ends).
func (c *Client) Query(ctx context.Context, addr string, want Want) Result {
	res := Result{Addr: addr}
	if want == 0 {
		want = WantInfo
	}
	fail := func(err error) Result {
		res.Err = fmt.Errorf("a2s %s: %w", addr, err)
		return res
	}
	to, err := resolve(ctx, addr)
	if err != nil {
		return fail(err)
	}
	select {
	case c.slots <- struct{}{}:
		defer func() { <-c.slots }()
	case <-ctx.Done():
		return fail(ctx.Err())
	case <-c.closed:
		return fail(net.ErrClosed)
	}
	ex, err := c.begin(ctx, to)
	if err != nil {
		return fail(err)
	}
	defer c.end(to, ex)

	q := query{need: want, res: &res, write: func(p []byte) error { return c.write(p, to) }}
	start := time.Now()
	deadline := time.NewTimer(c.timeout)
	defer deadline.Stop()
	resend := time.NewTicker(c.resend)
	defer resend.Stop()
	if err := q.send(); err != nil {
		return fail(err)
	}
	for {
		select {
		case p := <-ex.in:
			if res.RTT == 0 {
				res.RTT = max(time.Since(start), time.Nanosecond)
			}
			if err := q.handle(p); err != nil {
				return fail(err)
			}
			if q.need == 0 {
				return res
			}
		case <-resend.C:
			if err := q.send(); err != nil {
				return fail(err)
			}
		case <-ex.refused:
			return fail(ErrRefused)
		case <-deadline.C:
			if q.need != want {
				return fail(fmt.Errorf("%w to %s within %v", ErrNoAnswer, q.need, c.timeout))
			}
			return fail(fmt.Errorf("%w within %v", ErrNoAnswer, c.timeout))
		case <-ctx.Done():
			return fail(ctx.Err())
		case <-c.closed:
			return fail(net.ErrClosed)
		}
	}
}

// String names the queries in w: "A2S_INFO and A2S_PLAYER".
func (w Want) String() string {
	var s string
	for _, k := range []struct {
		w    Want
		name string
	}{{WantInfo, "A2S_INFO"}, {WantPlayers, "A2S_PLAYER"}, {WantRules, "A2S_RULES"}} {
		if w&k.w == 0 {
			continue
		}
		if s != "" {
			s += " and "
		}
		s += k.name
	}
	return s
}

// maxChallenges is how many challenges one query answers before it
// gives up on a server that keeps sending new ones.
const maxChallenges = 4

// query is the state of one exchange.
type query struct {
	write      func([]byte) error // to the server
	need       Want               // not answered yet
	challenge  []byte
	challenges int
	split      reassembler
	res        *Result
}

// send sends a request for what is still needed. Before the server gave
// a challenge it asks for one thing only, so that one challenge comes
// back; with the challenge it asks for everything at once.
func (q *query) send() error {
	for _, w := range []Want{WantInfo, WantPlayers, WantRules} {
		if q.need&w == 0 {
			continue
		}
		var req []byte
		switch w {
		case WantInfo:
			req = Request(q.challenge)
		case WantPlayers:
			req = PlayerRequest(q.challenge)
		case WantRules:
			req = RulesRequest(q.challenge)
		}
		if err := q.write(req); err != nil {
			return err
		}
		if q.challenge == nil {
			return nil
		}
	}
	return nil
}

// handle takes one packet from the server.
func (q *query) handle(p []byte) error {
	if isSplit(p) {
		whole, err := q.split.add(p)
		if err != nil || whole == nil {
			return err
		}
		p = whole
	}
	if len(p) < 5 || string(p[:4]) != headerSimple {
		return fmt.Errorf("%w: unexpected answer % x", ErrMalformed, p[:min(len(p), 16)])
	}
	was := q.need
	switch p[4] {
	case typeChallenge:
		if len(p) < 9 {
			return fmt.Errorf("%w: a short challenge", ErrMalformed)
		}
		q.challenges++
		if q.challenges > maxChallenges {
			return errors.New("the server keeps sending challenges")
		}
		q.challenge = append([]byte(nil), p[5:9]...)
		return q.send()
	case typeInfo:
		if q.need&WantInfo == 0 {
			return nil // a second answer to a resent request
		}
		info, err := ParseInfo(p)
		if err != nil {
			return err
		}
		q.res.Info = &info
		q.need &^= WantInfo
	case typePlayer:
		if q.need&WantPlayers == 0 {
			return nil
		}
		players, err := ParsePlayers(p)
		if err != nil {
			return err
		}
		q.res.Players = players
		q.need &^= WantPlayers
	case typeRules:
		if q.need&WantRules == 0 {
			return nil
		}
		rules, err := ParseRules(p)
		if err != nil {
			return err
		}
		q.res.Rules = rules
		q.need &^= WantRules
	default:
		return fmt.Errorf("%w: unexpected answer % x", ErrMalformed, p[:min(len(p), 16)])
	}
	if q.need != 0 && q.challenge == nil && q.need != was {
		// A server that answered without a challenge: ask for the next
		// thing now rather than at the next resend.
		return q.send()
	}
	return nil
}

// resolve turns host:port into one address, the host looked up when it
// is a name.
func resolve(ctx context.Context, addr string) (netip.AddrPort, error) {
	if ap, err := netip.ParseAddrPort(addr); err == nil {
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), nil
	}
	host, portText, err := net.SplitHostPort(addr)
	if err != nil {
		return netip.AddrPort{}, err
	}
	port, err := strconv.ParseUint(portText, 10, 16)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("bad port %q", portText)
	}
	ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return netip.AddrPort{}, err
	}
	if len(ips) == 0 {
		return netip.AddrPort{}, fmt.Errorf("%s has no address", host)
	}
	return netip.AddrPortFrom(ips[0].Unmap(), uint16(port)), nil
}
