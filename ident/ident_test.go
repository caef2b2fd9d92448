package ident

import (
	"strings"
	"testing"
)

func TestCleanRefusesInvisibleAndBidi(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"A-0\u200b1", "A-0\u200c1", "A-0\u200d1", "\ufeffA-01", "A-0\u00ad1", "A\u202e10-", "A\u2066-01\u2069",
		"A\u200e-01", "A\u200f-01", "A\u061c-01", "A\u2060-01", "A\x00-01", "A\t-01", "A\x7f", "bad\xffutf8", "A\ue000", "A\ufffd"} {
		if _, msg := Clean(s); msg == "" {
			t.Errorf("%q accepted", s)
		}
	}
}

func TestCleanNormalises(t *testing.T) {
	t.Parallel()
	nfd, nfc := "Unit e\u0301", "Unit \u00e9"
	a, msg := Clean(nfd)
	if msg != "" || a != nfc {
		t.Fatalf("NFD → %q %q", a, msg)
	}
	if Key(nfd) != Key(" UNIT \u00c9 ") {
		t.Errorf("keys differ: %q %q", Key(nfd), Key("UNIT \u00c9"))
	}
	if got, msg := Clean("A\u00a001"); msg != "" || got != "A 01" {
		t.Errorf("no-break space: %q %q", got, msg)
	}
	if got, msg := Clean("  Villa-7 "); msg != "" || got != "Villa-7" {
		t.Errorf("plain: %q %q", got, msg)
	}
	if _, msg := Clean("A-0\u200b1"); !strings.Contains(msg, "zero-width space") {
		t.Errorf("message %q", msg)
	}
}
