package a2s

import (
	"net"
	"net/netip"
	"unsafe"

	"golang.org/x/sys/unix"
)

// On Linux the kernel tells an unconnected UDP socket about ICMP errors
// only when it asks (IP_RECVERR): a read then fails with "connection
// refused", and the socket's error queue says which destination refused.
// That tells a port nobody listens on from a server that is silent.

// watchRefusals asks the kernel to queue ICMP errors on conn.
func watchRefusals(conn *net.UDPConn) {
	rc, err := conn.SyscallConn()
	if err != nil {
		return
	}
	rc.Control(func(fd uintptr) {
		// One of the two fails on a socket of the other family; both are
		// set on a dual-stack socket, which gets IPv4 errors too.
		unix.SetsockoptInt(int(fd), unix.SOL_IP, unix.IP_RECVERR, 1)
		unix.SetsockoptInt(int(fd), unix.SOL_IPV6, unix.IPV6_RECVERR, 1)
	})
}

// readRefusals drains conn's error queue and returns the destinations
// that answered "port unreachable".
func readRefusals(conn *net.UDPConn) []netip.AddrPort {
	rc, err := conn.SyscallConn()
	if err != nil {
		return nil
	}
	var refused []netip.AddrPort
	buf := make([]byte, 512)
	oob := make([]byte, 512)
	// Control, not Read: it takes no read lock (the client's reader holds
	// it while it waits), and MSG_DONTWAIT never blocks.
	rc.Control(func(fd uintptr) {
		for range 64 {
			_, oobn, _, from, err := unix.Recvmsg(int(fd), buf, oob, unix.MSG_ERRQUEUE|unix.MSG_DONTWAIT)
			if err != nil {
				return // the queue is empty
			}
			msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
			if err != nil {
				continue
			}
			for _, m := range msgs {
				isErr := (m.Header.Level == unix.SOL_IP && m.Header.Type == unix.IP_RECVERR) ||
					(m.Header.Level == unix.SOL_IPV6 && m.Header.Type == unix.IPV6_RECVERR)
				if !isErr || len(m.Data) < int(unsafe.Sizeof(unix.SockExtendedErr{})) {
					continue
				}
				ee := (*unix.SockExtendedErr)(unsafe.Pointer(&m.Data[0]))
				if ee.Errno != uint32(unix.ECONNREFUSED) {
					continue
				}
				switch sa := from.(type) {
				case *unix.SockaddrInet4:
					refused = append(refused, netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(sa.Port)))
				case *unix.SockaddrInet6:
					refused = append(refused, netip.AddrPortFrom(netip.AddrFrom16(sa.Addr).Unmap(), uint16(sa.Port)))
				}
			}
		}
	})
	return refused
}
