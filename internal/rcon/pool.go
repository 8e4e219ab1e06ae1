package rcon

import (
	"context"
	"sync"
	"time"
)

// Pool keeps one Client, so one connection, per server address. The zero
// Pool is ready to use and safe for concurrent use: commands to different
// servers run side by side, commands to one server one after the other.
type Pool struct {
	// Timeout is each Client's Timeout; set it before the first Exec.
	Timeout time.Duration

	mu      sync.Mutex
	clients map[string]*Client
	closed  bool
}

// Exec runs command on the server at addr with the given password, over
// the pool's connection to it (see Client.Exec). A password other than the
// one the kept connection logged in with replaces that connection: a new
// server may have taken the port.
func (p *Pool) Exec(ctx context.Context, addr, password, command string) (string, error) {
	if err := CheckCommand(command); err != nil {
		return "", err
	}
	c, err := p.client(addr, password)
	if err != nil {
		return "", err
	}
	return c.Exec(ctx, command)
}

func (p *Pool) client(addr, password string) (*Client, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, ErrClosed
	}
	c := p.clients[addr]
	if c != nil && c.password == password {
		return c, nil
	}
	if c != nil {
		go c.Close() // waits for a command still running on it
	}
	if p.clients == nil {
		p.clients = make(map[string]*Client)
	}
	c = NewClient(addr, password)
	c.Timeout = p.Timeout
	p.clients[addr] = c
	return c, nil
}

// Forget closes the connection to addr, if the pool has one (the server
// was deleted or stopped).
func (p *Pool) Forget(addr string) {
	p.mu.Lock()
	c := p.clients[addr]
	delete(p.clients, addr)
	p.mu.Unlock()
	if c != nil {
		c.Close()
	}
}

// Close closes every connection; later commands get ErrClosed.
func (p *Pool) Close() error {
	p.mu.Lock()
	clients := p.clients
	p.clients, p.closed = nil, true
	p.mu.Unlock()
	for _, c := range clients {
		c.Close()
	}
	return nil
}
