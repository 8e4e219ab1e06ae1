//go:build !linux

package a2s

import (
	"net"
	"net/netip"
)

// Elsewhere an unconnected socket does not learn whose port was
// unreachable: such a server counts as not answering.

func watchRefusals(*net.UDPConn) {}

func readRefusals(*net.UDPConn) []netip.AddrPort { return nil }
