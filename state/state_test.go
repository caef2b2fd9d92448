package state

import "testing"

type color string

func (c color) Valid() bool { return c == "red" || c == "blue" }

func TestValueAndScan(t *testing.T) {
	t.Parallel()
	if v, err := Value(color("red"), "color"); err != nil || v != "red" {
		t.Fatalf("Value(red) = %v, %v", v, err)
	}
	if _, err := Value(color("green"), "color"); err == nil {
		t.Fatal("Value(green) stored a color the domain does not know")
	}
	for _, src := range []any{"blue", []byte("blue")} {
		var c color
		if err := Scan(&c, src, "color"); err != nil || c != "blue" {
			t.Fatalf("Scan(%#v) = %q, %v", src, c, err)
		}
	}
	for _, src := range []any{"green", []byte(""), 7, nil} {
		c := color("red")
		if err := Scan(&c, src, "color"); err == nil {
			t.Fatalf("Scan(%#v) accepted it", src)
		}
		if c != "red" {
			t.Fatalf("Scan(%#v) changed the value to %q on error", src, c)
		}
	}
}
