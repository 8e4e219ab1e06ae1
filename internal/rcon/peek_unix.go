//go:build unix

package rcon

import (
	"net"
	"syscall"
)

// peerClosed reports whether the server has closed or reset the idle
// connection nc, without reading from it (MSG_PEEK) and without waiting
// (MSG_DONTWAIT): a kept connection to a server that restarted is found
// broken before a command is sent on it, so the command can go over a new
// one instead of being lost.
func peerClosed(nc net.Conn) bool {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return true
	}
	closed := false
	err = rc.Read(func(fd uintptr) bool {
		var b [1]byte
		n, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		switch {
		case err == nil:
			closed = n == 0 // 0 bytes: the peer's FIN; more: data waiting
		case err == syscall.EAGAIN, err == syscall.EWOULDBLOCK, err == syscall.EINTR:
		default:
			closed = true // ECONNRESET and the like
		}
		return true
	})
	return closed || err != nil
}
