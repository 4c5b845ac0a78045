package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/lywatch/lywatch/gds"
)

const gdsUsage = `Usage:
  lywatch gds info FILE [--json]      database unit, top cells, per-cell hashes and counts
  lywatch gds diff A B [--json]       compare two layouts; exit 0 equal, 1 different, 2 error
  lywatch gds diff A B --xor [--tolerance DBU] [--rdb FILE] [--show]
                                      compare their geometry with KLayout's XOR (--show: push B
                                      into KLayout with the XOR in the marker browser)
  lywatch gds gzip IN OUT [--level N] rewrite a layout as .gds.gz (or .gds), with lywatch's writer
`

// runGDS runs `lywatch gds info|diff|gzip`.
func runGDS(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 {
		fmt.Fprint(e.stderr, gdsUsage)
		return exitError
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(e.stdout, gdsUsage)
		return exitOK
	}
	switch args[0] {
	case "info":
		return runGDSInfo(ctx, e, args[1:])
	case "diff":
		return runGDSDiff(ctx, e, args[1:])
	case "gzip":
		return runGDSGzip(ctx, e, args[1:])
	}
	return e.errorf("gds: unknown subcommand %q\n%s", args[0], gdsUsage)
}

// gdsFlags parses flags mixed with positional arguments (`info FILE --json`
// and `info --json FILE` alike) and checks the number of positionals.
func gdsFlags(e *env, fs *flag.FlagSet, args []string, want int) ([]string, int, bool) {
	fs.SetOutput(e.stderr)
	usage(fs, gdsUsage)
	pos, code, ok := parseArgs(fs, args)
	if !ok {
		return nil, code, false
	}
	if len(pos) != want {
		fmt.Fprintf(e.stderr, "lywatch: gds %s: want %d file argument(s), got %d\n%s", fs.Name(), want, len(pos), gdsUsage)
		return nil, exitError, false
	}
	return pos, exitOK, true
}

// maxGhostWarnings is how many warnings about ghost cells are printed one
// by one; the rest are counted in one line.
const maxGhostWarnings = 5

func runGDSGzip(ctx context.Context, e *env, args []string) int {
	fs := flag.NewFlagSet("gzip", flag.ContinueOnError)
	level := fs.Int("level", 1, "gzip level, 1 (fastest) to 9 (smallest)")
	pos, code, ok := gdsFlags(e, fs, args, 2)
	if !ok {
		return code
	}
	if *level < 1 || *level > 9 {
		return e.errorf("gds gzip: --level %d: want 1 to 9", *level)
	}
	lib, err := gds.ReadFileContext(ctx, pos[0], gds.ReadOptions{})
	if err != nil {
		return e.errorf("gds gzip: %v", err)
	}
	opts := gds.WriteOptions{GzipLevel: *level}
	if err := gds.WriteFileOptions(pos[1], lib, opts); err != nil {
		return e.errorf("gds gzip: %v", err)
	}
	return exitOK
}

// printWarnings prints the reader's warnings about a file on w, those
// about ghost cells (references to undefined cells) up to
// maxGhostWarnings, then one line for the rest.
func printWarnings(w io.Writer, cmd, file string, lib *gds.Library) {
	ghosts := 0
	for _, warn := range lib.Warnings {
		if warn.Ghost != "" {
			if ghosts++; ghosts > maxGhostWarnings {
				continue
			}
		}
		fmt.Fprintf(w, "lywatch: gds %s: %s: warning: %s\n", cmd, file, warn)
	}
	if more := ghosts - maxGhostWarnings; more > 0 {
		fmt.Fprintf(w, "lywatch: gds %s: %s: warning: and %d more undefined cells, read as empty ghost cells (%d in all)\n",
			cmd, file, more, ghosts)
	}
}
