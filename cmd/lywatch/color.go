package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/fatih/color"
)

// colorOn reports whether e's output gets colour: not asked off (--no-color,
// NO_COLOR) and a terminal.
func colorOn(e *env, noColor bool) bool {
	f, isFile := e.stdout.(*os.File)
	return !noColor && os.Getenv("NO_COLOR") == "" && isFile && isTerminal(f)
}

// newColor returns a printer of attrs, colouring or plain as on says.
func newColor(on bool, attrs ...color.Attribute) *color.Color {
	c := color.New(attrs...)
	if on {
		c.EnableColor()
	} else {
		c.DisableColor()
	}
	return c
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// plural is "1 file", "3 files".
func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// colors returns a bold and a dim printer, plain when asked or not a terminal.
func colors(e *env, noColor bool) (bold, dim *color.Color) {
	on := colorOn(e, noColor)
	return newColor(on, color.Bold), newColor(on, color.Faint)
}

func writeJSON(e *env, v any) int {
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return e.errorf("%v", err)
	}
	return exitOK
}

// palette is the colours of session show and history.
type palette struct{ bold, dim, green, yellow, red *color.Color }

// newPalette returns the palette, plain when asked or not a terminal.
func newPalette(e *env, noColor bool) palette {
	on := colorOn(e, noColor)
	return palette{newColor(on, color.Bold), newColor(on, color.Faint), newColor(on, color.FgGreen),
		newColor(on, color.FgYellow), newColor(on, color.FgRed)}
}
