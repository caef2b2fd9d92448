package soq

import "testing"

func TestNextReference(t *testing.T) {
	taken := map[string]bool{"A8": true, "A9": true, "B2": true}
	for _, c := range []struct{ code, last, want string }{
		{"A", "A7", "A10"}, // A8 and A9 are taken elsewhere in the SOQ
		{"A", "A10", "A11"},
		{"B", "B1", "B3"},
		{"B", "B1.09", "B1.10"},
		{"C", "C099", "C100"},
		{"C", "C9", "C10"},
		{"D", "", "D1"},
		{"Prelims", "Prelims", "Prelims1"},
		{"E", "E-2a", "E-2a1"},
		{"F", " F4 ", "F5"},
		{"G", "G99999999999999999999", "G99999999999999999999" + "1"},
	} {
		got := NextReference(c.code, c.last, func(r string) bool { return taken[r] })
		if got != c.want {
			t.Errorf("NextReference(%q, %q) = %q, want %q", c.code, c.last, got, c.want)
		}
	}
	if got := NextReference("A", "A1", nil); got != "A2" {
		t.Errorf("NextReference without a taken set = %q, want A2", got)
	}
}
