package views

import "testing"

func TestSentence(t *testing.T) {
	for in, want := range map[string]string{
		"reference B1 is already used in this SOQ": "Reference B1 is already used in this SOQ.",
		"Already a sentence.":                      "Already a sentence.",
		"what now?":                                "What now?",
		"  élan ":                                  "Élan.",
		"":                                         "",
	} {
		if got := Sentence(in); got != want {
			t.Errorf("Sentence(%q) = %q, want %q", in, got, want)
		}
	}
}
