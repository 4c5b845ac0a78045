package flagusage

import (
	"flag"
	"strings"
	"testing"
	"time"
)

func TestPrint(t *testing.T) {
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	fs.String("target", "", "only this target `NAME`")
	fs.Bool("json", false, "print JSON")
	fs.Bool("v", false, "print diagnostics")
	fs.Duration("timeout", 3*time.Second, "give up after this long")
	var b strings.Builder
	Print(&b, fs)
	want := "  --json\n        print JSON\n" +
		"  --target NAME\n        only this target NAME\n" +
		"  --timeout duration\n        give up after this long (default 3s)\n" +
		"  -v\n        print diagnostics\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}
