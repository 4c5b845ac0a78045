package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/lywatch/lywatch/ipc"
	"github.com/lywatch/lywatch/pipeline"
	"github.com/lywatch/lywatch/replay"
	"github.com/lywatch/lywatch/session"
)

const replayUsage = `Usage:
  lywatch replay [--target T] [--from N] [--to M] [--fps F] [--loop] [--step]
  lywatch replay --build N [--step] [--fps F]
  lywatch replay --gif OUT.gif | --png DIR [--box x1,y1,x2,y2|view] [--cell C] [--size WxH] [--layer-props FILE.lyp]

Shows the history frames (see 'lywatch history') again in KLayout, in
order: each is written to the file KLayout shows for the target (its
output, or --into) and pushed as the live loop pushes a build: KLayout
reads only the cells that changed, keeps the view box, layers and cell,
and follows a cell the frame renamed. Each frame's summary (what changed
and why, then what KLayout did) is printed as it shows. However the
replay ends, Ctrl-C included, the target's last good layout is put back
on screen.

--step waits for a key between frames: n, space, Enter or the right arrow
for the next frame, b or the left arrow for the one before, q to stop. On
a pipe, one word per line: next, back, quit (an empty line is next).

--build N steps through the frames build N traced (lywatch_trace.frame, or
kfactory's and gdsfactory's show() inside the build).

--gif and --png render the frames with KLayout's own renderer, one batch
KLayout for them all (no window), into an animated GIF or one PNG per
frame, and push nothing. The view box is the union of the frames' unless
given, or 'view' for the box KLayout shows now.
`

// replayFlags are replay's flags.
type replayFlags struct {
	project        projectFlags
	kl             *ipcTargetFlags
	target, into   string
	from, to       int
	build          int
	fps            float64
	loop, step     bool
	gif, png       string
	box, cell      string
	size, lyp      string
	klayoutProgram string
}

func (f *replayFlags) register(fs *flag.FlagSet) {
	f.project.register(fs, false)
	f.kl = addIPCTargetFlags(fs, ipc.DefaultTimeout)
	fs.StringVar(&f.target, "target", "", "the target `NAME` (default: the session's one target)")
	fs.IntVar(&f.from, "from", 0, "the first frame `N` shown (default the oldest kept)")
	fs.IntVar(&f.to, "to", 0, "the last frame `M` shown (default the newest)")
	fs.IntVar(&f.build, "build", 0, "step through the trace of build (frame) `N` instead")
	fs.Float64Var(&f.fps, "fps", replay.DefaultFPS, "frames per second")
	fs.BoolVar(&f.loop, "loop", false, "start again after the last frame, until Ctrl-C or q")
	fs.BoolVar(&f.step, "step", false, "wait for a key between frames: next, back, quit")
	fs.StringVar(&f.into, "into", "", "the layout `FILE` KLayout shows the frames from (default: the target's output)")
	fs.StringVar(&f.gif, "gif", "", "write an animated GIF to `FILE` instead of pushing")
	fs.StringVar(&f.png, "png", "", "write one PNG per frame into `DIR` instead of pushing")
	fs.StringVar(&f.box, "box", "", "the area drawn, `x1,y1,x2,y2` in micrometres, or view for KLayout's (--gif, --png)")
	fs.StringVar(&f.cell, "cell", "", "the `CELL` drawn (default the top cell) (--gif, --png)")
	fs.StringVar(&f.size, "size", "800x600", "image size, `WxH` pixels (--gif, --png)")
	fs.StringVar(&f.lyp, "layer-props", "", "KLayout layer properties `FILE.lyp` (--gif, --png)")
	fs.StringVar(&f.klayoutProgram, "klayout-program", "klayout", "the klayout `PROGRAM` that renders (--gif, --png)")
}

func runReplay(ctx context.Context, e *env, args []string) int {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	usage(fs, replayUsage)
	var f replayFlags
	f.register(fs)
	pos, code, ok := parseArgs(fs, args)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		return e.errorf("replay: unexpected argument %q", pos[0])
	}
	if f.fps <= 0 {
		return e.errorf("replay: --fps %g: want a positive number of frames per second", f.fps)
	}
	proj, err := f.project.resolve(e)
	if err != nil {
		return e.errorf("replay: %s", sessionErr(err))
	}
	rec, err := pipeline.OpenRecorded(proj, f.target)
	if err != nil {
		return e.errorf("replay: %s", sessionErr(err))
	}
	defer rec.Close()
	frames, err := replayFrames(rec, &f)
	if err != nil {
		return e.errorf("replay: %v", err)
	}
	if f.gif != "" || f.png != "" {
		return exportReplay(ctx, e, &f, rec, frames)
	}
	return playReplay(ctx, e, &f, rec, frames)
}

// replayFrames picks the frames to show: the history frames between
// --from and --to, or the steps of --build's trace.
func replayFrames(rec *pipeline.Recorded, f *replayFlags) ([]replay.Frame, error) {
	if f.build > 0 {
		fr, ok := rec.Frame(f.build)
		if !ok {
			return nil, fmt.Errorf("no frame %d in %s's history (%s)", f.build, rec.Target, seqRange(rec.Frames))
		}
		if fr.Trace == nil || len(fr.Trace.Steps) == 0 {
			return nil, fmt.Errorf("build %d of %s traced nothing: call lywatch_trace.frame(...) in the build, or show() with kfactory or gdsfactory", f.build, rec.Target)
		}
		var out []replay.Frame
		for i, st := range fr.Trace.Steps {
			out = append(out, replay.Frame{Title: stepTitle(fr, i, st), Load: func() ([]byte, error) { return rec.Step(fr, i) }})
		}
		return out, nil
	}
	var out []replay.Frame
	for _, fr := range rec.Frames {
		if f.from > 0 && fr.Seq < f.from || f.to > 0 && fr.Seq > f.to {
			continue
		}
		out = append(out, replay.Frame{Title: frameTitle(fr), Load: func() ([]byte, error) { return rec.Layout(fr) }})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no frames of %s between %d and %d (%s)", rec.Target, f.from, f.to, seqRange(rec.Frames))
	}
	return out, nil
}

func seqRange(frames []session.Frame) string {
	if len(frames) == 0 {
		return "it has none"
	}
	return fmt.Sprintf("it has %d to %d", frames[0].Seq, frames[len(frames)-1].Seq)
}

// frameTitle is a history frame's summary line.
func frameTitle(f session.Frame) string {
	s := fmt.Sprintf("frame %d  %s  %s", f.Seq, f.Time.Local().Format("15:04:05"), frameSummary(f.Trigger, f.Changed, f.Removed, false))
	if f.Commit != "" {
		s += " · commit " + shortCommit(f.Commit)
	}
	return s
}

// stepTitle is a trace step's summary line.
func stepTitle(f session.Frame, i int, st session.TraceStep) string {
	s := fmt.Sprintf("build %d step %d/%d", f.Seq, i+1, len(f.Trace.Steps))
	if st.Label != "" {
		s += fmt.Sprintf("  %q", st.Label)
	}
	if st.Cell != "" {
		s += "  cell " + st.Cell
	}
	return s
}

// replayPusher pushes each frame as the live loop pushes a good build:
// with its cells' hashes (only the cells it changed travel) and the
// history's factories (a renamed cell is followed). A missing KLayout is
// an error here (the live loop's pusher shrugs it off).
type replayPusher struct {
	p         *ipc.Pusher
	factories map[string]string
}

func (r replayPusher) Push(ctx context.Context, path string, layout []byte) (string, error) {
	// A layout that does not read is pushed whole. A replay is watched:
	// its view becomes the current one.
	l, _ := pipeline.PushLayout(ctx, path, layout, r.factories)
	l.Activate = true
	rep, err := r.p.Push(ctx, l)
	if err != nil {
		return "", err
	}
	return rep.Summary(), nil
}

func playReplay(ctx context.Context, e *env, f *replayFlags, rec *pipeline.Recorded, frames []replay.Frame) int {
	into := f.into
	if into == "" {
		into = rec.Output
	}
	if into == "" {
		return e.errorf("replay: the session does not say which file KLayout shows for %s: give --into FILE", rec.Target)
	}
	into, err := filepath.Abs(into)
	if err != nil {
		return e.errorf("replay: %v", err)
	}
	p, err := f.kl.pusher()
	if err != nil {
		return e.errorf("replay: %v", err)
	}
	push := replayPusher{p: p, factories: rec.Factories()}
	o := replay.Options{Frames: frames, Screen: replay.FileScreen{Path: into, Push: push},
		FPS: f.fps, Loop: f.loop, Out: e.stdout, LastGood: rec.LastGood}
	if f.step {
		keys, restore := stepKeys(e)
		defer restore()
		o.Keys = keys
	}
	if err := replay.Play(ctx, o); err != nil {
		if errors.Is(err, ipc.ErrNoServer) {
			return e.errorf("replay: %v", err)
		}
		fmt.Fprintf(e.stderr, "lywatch: replay: %v\n", err)
		return exitFail
	}
	return exitOK
}

// stepKeys reads step keys from standard input: every key press on a
// terminal (raw mode, put back by restore), else one word per line.
func stepKeys(e *env) (<-chan replay.Key, func()) {
	if f, ok := e.stdin.(*os.File); ok && isTerminal(f) {
		if restore, err := replay.RawTerminal(int(f.Fd())); err == nil {
			fmt.Fprintln(e.stderr, "keys: n, space or → next · b or ← back · q quit")
			return replay.ReadKeys(f, true), restore
		}
	}
	fmt.Fprintln(e.stderr, "one word per line: next (or empty), back, quit")
	return replay.ReadKeys(e.stdin, false), func() {}
}

// frameDelay is how long a frame shows at fps.
func frameDelay(fps float64) time.Duration { return time.Duration(float64(time.Second) / fps) }
