package soq

// What an import decides from a spreadsheet, before anything is written: package soqfile
// reads the file into these, and the store writes them.

// ImportLine is one checked row of a spreadsheet, ready to be written.
type ImportLine struct {
	Row          int // as the spreadsheet numbers it
	SectionCode  string
	SectionTitle string
	Item         Item
	CategoryID   int64 // 0: no trade
}

// ImportSection is a section named in the file (created when missing).
type ImportSection struct{ Code, Title string }

// ImportRefusal is one refused row: its number as the spreadsheet numbers it, its
// reference and description as the file has them (so that a person finds the row in a
// list of thousands), and why.
type ImportRefusal struct {
	Row         int    `json:"row" db:"row"`
	Reference   string `json:"reference,omitempty" db:"reference"`
	Description string `json:"description,omitempty" db:"description"`
	Reason      string `json:"reason" db:"reason"`
}
