package state

import (
	"errors"
	"testing"
)

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

func TestStepAndTransitionError(t *testing.T) {
	t.Parallel()
	of := Noun{A: "a paint", The: "the paint"}
	if got, err := Step(color("red"), "blue", of, "red"); err != nil || got != "blue" {
		t.Fatalf("Step(red → blue from red) = %v, %v", got, err)
	}
	for _, c := range []struct {
		from, to color
		want     string
	}{
		{"blue", "blue", "the paint is already blue"},
		{"blue", "red", "a paint cannot go from blue to red"},
		{"green", "blue", `the paint's status "green" is unknown`},
	} {
		got, err := Step(c.from, c.to, of, "red")
		var te *TransitionError[color]
		if got != c.from || !errors.As(err, &te) || err.Error() != c.want {
			t.Errorf("Step(%s → %s) = %v, %v; want %s unchanged and %q", c.from, c.to, got, err, c.from, c.want)
		}
	}
}
