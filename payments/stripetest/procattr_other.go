//go:build !linux

package stripetest

import "syscall"

func procAttr() *syscall.SysProcAttr { return nil }
