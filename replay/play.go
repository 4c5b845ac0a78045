package replay

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// Frame is one layout of a replay.
type Frame struct {
	// Title is the frame's summary (which cells changed and why),
	// printed as it shows.
	Title string
	// Load returns its layout.
	Load func() ([]byte, error)
}

// DefaultFPS is the pace of a replay without --fps.
const DefaultFPS = 2

// restoreTimeout bounds putting the last good layout back after a replay
// that was interrupted.
const restoreTimeout = 30 * time.Second

// Options configure Play.
type Options struct {
	// Frames are shown in order (at least one).
	Frames []Frame
	// Screen shows them.
	Screen Screen
	// FPS is the pace in frames per second (0: DefaultFPS).
	FPS float64
	// Loop starts again after the last frame, until ctx is done or Quit.
	Loop bool
	// Keys, when set, steps: each frame stays until Next or Back; Quit
	// ends the replay. FPS is then unused.
	Keys <-chan Key
	// Out receives one line per frame shown: its place, its title and
	// what KLayout did.
	Out io.Writer
	// LastGood returns the layout to leave on screen at the end (nil
	// func, or nil bytes: leave the last frame).
	LastGood func(ctx context.Context) ([]byte, error)
	// Shown, if set, is called after each frame is on screen (tests ask
	// KLayout then what it shows).
	Shown func(i int)
}

// Play shows the frames. However it ends (the last frame, Quit, an error,
// ctx cancelled by Ctrl-C), it then shows the last good layout. It returns
// the first error, or nil (also when ctx was cancelled).
func Play(ctx context.Context, o Options) error {
	if len(o.Frames) == 0 {
		return errors.New("replay: no frames")
	}
	if o.Out == nil {
		o.Out = io.Discard
	}
	fps := o.FPS
	if fps <= 0 {
		fps = DefaultFPS
	}
	shown, err := play(ctx, o, time.Duration(float64(time.Second)/fps))
	if rerr := restore(ctx, o, shown); err == nil {
		err = rerr
	}
	return err
}

// play runs the frames and returns the layout last on screen.
func play(ctx context.Context, o Options, pause time.Duration) ([]byte, error) {
	var onScreen []byte
	n := len(o.Frames)
	for i := 0; i < n && ctx.Err() == nil; {
		f := o.Frames[i]
		data, err := f.Load()
		if err != nil {
			return onScreen, fmt.Errorf("frame %d of %d (%s): %w", i+1, n, f.Title, err)
		}
		note, err := o.Screen.Show(ctx, data)
		if err != nil {
			if ctx.Err() != nil {
				return onScreen, nil
			}
			return onScreen, fmt.Errorf("show frame %d of %d: %w", i+1, n, err)
		}
		onScreen = data
		line := fmt.Sprintf("[%d/%d] %s", i+1, n, f.Title)
		if note != "" {
			line += " (" + note + ")"
		}
		fmt.Fprintln(o.Out, line)
		if o.Shown != nil {
			o.Shown(i)
		}
		next, ok := advance(ctx, o, i, pause)
		if !ok {
			break
		}
		i = next
	}
	return onScreen, nil
}

// advance waits for the next frame: a pause, or a key. ok is false when
// the replay ends.
func advance(ctx context.Context, o Options, i int, pause time.Duration) (next int, ok bool) {
	n := len(o.Frames)
	if o.Keys == nil {
		t := time.NewTimer(pause)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return 0, false
		case <-t.C:
		}
		switch {
		case i+1 < n:
			return i + 1, true
		case o.Loop:
			return 0, true
		}
		return 0, false
	}
	for {
		select {
		case <-ctx.Done():
			return 0, false
		case k, open := <-o.Keys:
			switch {
			case !open || k == Quit:
				return 0, false
			case k == Back && i > 0:
				return i - 1, true
			case k == Back && o.Loop:
				return n - 1, true
			case k == Next && i+1 < n:
				return i + 1, true
			case k == Next && o.Loop:
				return 0, true
			case k == Next:
				return 0, false // past the last frame
			}
		}
	}
}

// restore puts the last good layout back on screen, with a context of its
// own when ctx was cancelled (Ctrl-C must still leave it there).
func restore(ctx context.Context, o Options, onScreen []byte) error {
	if o.LastGood == nil {
		return nil
	}
	if ctx.Err() != nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), restoreTimeout)
		defer cancel()
	}
	good, err := o.LastGood(ctx)
	if err != nil {
		return fmt.Errorf("the last good layout: %w", err)
	}
	if good == nil || bytes.Equal(good, onScreen) {
		return nil
	}
	note, err := o.Screen.Show(ctx, good)
	if err != nil {
		return fmt.Errorf("show the last good layout: %w", err)
	}
	line := "back to the last good layout"
	if note != "" {
		line += " (" + note + ")"
	}
	fmt.Fprintln(o.Out, line)
	return nil
}
