package app_test

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// rawExchange sends raw bytes on a fresh loopback connection to e's app and
// reads every response that comes back until the panel closes the
// connection or 5 s pass. closed says which happened.
func rawExchange(t *testing.T, e *env, raw string) (resps []*http.Response, bodies []string, closed bool) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = e.app.Listener(ln) }()
	t.Cleanup(func() { _ = e.app.Shutdown() })
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, raw); err != nil {
		t.Fatal(err)
	}
	if err := conn.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	for {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			// EOF or a reset (the panel may close with bytes of the
			// request unread) both mean closed; only the deadline means
			// the panel kept the connection open.
			return resps, bodies, !errors.Is(err, os.ErrDeadlineExceeded)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		resps = append(resps, resp)
		bodies = append(bodies, string(b))
	}
}

// The panel must frame every request the one way a front proxy could
// frame it, or a request hidden in another's body reaches the panel
// (request smuggling; RFC 9112 section 6.3).
func TestAmbiguousRequestFramingIsNeverAnsweredTwice(t *testing.T) {
	smuggled := "GET /smuggled HTTP/1.1\r\nHost: panel\r\n\r\n"
	tests := []struct {
		name string
		raw  string
		// wantStatus is the one answer's status; 0 accepts any.
		wantStatus int
	}{
		{
			// A proxy that believes the first length forwards the hidden
			// request as this one's body; one that believes the last sees
			// two requests. The panel refuses both readings.
			name: "two different Content-Length headers are refused with 400 and the connection closed",
			raw: "GET /healthz HTTP/1.1\r\nHost: panel\r\nContent-Length: " + strconv.Itoa(len(smuggled)) +
				"\r\nContent-Length: 0\r\n\r\n" + smuggled,
			wantStatus: http.StatusBadRequest,
		},
		{
			// The chunked body ends at once; what follows is a second
			// request to the panel but body bytes to a proxy that frames
			// by Content-Length. The panel may answer the first (framed as
			// chunked, as RFC 9112 says) but must then close.
			name: "Content-Length with Transfer-Encoding chunked is answered once and the connection closed",
			raw: "GET /healthz HTTP/1.1\r\nHost: panel\r\nContent-Length: " + strconv.Itoa(len("0\r\n\r\n"+smuggled)) +
				"\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + smuggled,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			resps, bodies, closed := rawExchange(t, e, tt.raw)
			var got []string
			for i, r := range resps {
				b := strings.TrimSpace(bodies[i])
				if len(b) > 80 {
					b = b[:80] + "…"
				}
				got = append(got, r.Status+" "+b)
			}
			if len(resps) != 1 {
				t.Fatalf("got %d answers, want 1 (the hidden request must not be answered):\n%s", len(resps), strings.Join(got, "\n"))
			}
			if tt.wantStatus != 0 && resps[0].StatusCode != tt.wantStatus {
				t.Errorf("answer %s, want %d", got[0], tt.wantStatus)
			}
			if !closed {
				t.Errorf("the connection stayed open after the ambiguous request; it must be closed")
			}
		})
	}
}

// The same shapes with one framing are ordinary requests: the fix must not
// refuse them.
func TestUnambiguousFramingKeepsTheConnection(t *testing.T) {
	for _, raw := range []string{
		"POST /healthz HTTP/1.1\r\nHost: panel\r\nContent-Length: 3\r\n\r\nabc",
		"POST /healthz HTTP/1.1\r\nHost: panel\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
	} {
		e := newEnv(t)
		resps, _, closed := rawExchange(t, e, raw+"GET /healthz HTTP/1.1\r\nHost: panel\r\nConnection: close\r\n\r\n")
		if len(resps) != 2 || resps[1].StatusCode != http.StatusOK || !closed {
			t.Fatalf("%q then a GET: %d answers, closed %v; want both answered", raw, len(resps), closed)
		}
	}
}
