//go:build unix

package events

import (
	"errors"
	"net"
	"syscall"
)

// gone reports whether the client closed its end of c, without waiting and without a
// goroutine parked in a read: it peeks at the socket (an orderly close reads as 0 bytes,
// a reset as an error; nothing to read yet as EAGAIN).
func gone(c net.Conn) bool {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return false
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	var b [1]byte
	closed := false
	_ = raw.Read(func(fd uintptr) bool {
		n, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		closed = (err == nil && n == 0) ||
			(err != nil && !errors.Is(err, syscall.EAGAIN) && !errors.Is(err, syscall.EINTR))
		return true // never wait for readability
	})
	return closed
}
