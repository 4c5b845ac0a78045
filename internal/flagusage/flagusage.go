// Package flagusage prints a flag set's flags the way lywatch's README
// writes them: --name VALUE, then the description, then the default.
package flagusage

import (
	"flag"
	"fmt"
	"io"
	"strings"
)

// Print writes every flag of fs, in name order: one line "  --name VALUE"
// (one dash for one-letter flags), and the description indented below it,
// with the default when it is not the zero value. VALUE is the word in
// backquotes in the description, else the flag's type.
func Print(w io.Writer, fs *flag.FlagSet) {
	var b strings.Builder
	fs.VisitAll(func(f *flag.Flag) {
		name, usage := flag.UnquoteUsage(f)
		dash := "--"
		if len(f.Name) == 1 {
			dash = "-"
		}
		fmt.Fprintf(&b, "  %s%s", dash, f.Name)
		if name != "" {
			fmt.Fprintf(&b, " %s", name)
		}
		b.WriteString("\n        ")
		b.WriteString(strings.ReplaceAll(usage, "\n", "\n        "))
		if d := f.DefValue; d != "" && d != "false" && d != "0" && d != "0s" && d != "[]" {
			fmt.Fprintf(&b, " (default %s)", d)
		}
		b.WriteString("\n")
	})
	io.WriteString(w, b.String())
}
