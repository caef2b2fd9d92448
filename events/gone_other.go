//go:build !unix

package events

import "net"

// gone: without a way to peek, a departed client is noticed by a failed write.
func gone(net.Conn) bool { return false }
