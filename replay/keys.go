package replay

import (
	"bufio"
	"io"
	"strings"
)

// Key is a step key: what --step waits for.
type Key int

// The step keys.
const (
	Next Key = iota // n, space, Enter, j, the right or down arrow
	Back            // b, p, k, the left or up arrow
	Quit            // q, Escape, end of input
)

func (k Key) String() string {
	switch k {
	case Next:
		return "next"
	case Back:
		return "back"
	}
	return "quit"
}

// ReadKeys reads step keys from r until it ends (then Quit) and sends
// them on the channel returned. With raw, r is a terminal in raw mode and
// every key press counts; otherwise r is read by lines (a pipe, a
// terminal in line mode): an empty line, "n" or "next" is Next, "b",
// "p" or "back" is Back, "q" or "quit" is Quit. Other input is ignored.
func ReadKeys(r io.Reader, raw bool) <-chan Key {
	ch := make(chan Key, 16)
	go func() {
		defer close(ch)
		if raw {
			readRaw(r, ch)
		} else {
			readLines(r, ch)
		}
		ch <- Quit
	}()
	return ch
}

func readLines(r io.Reader, ch chan<- Key) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		switch strings.ToLower(strings.TrimSpace(sc.Text())) {
		case "", "n", "next", "j":
			ch <- Next
		case "b", "p", "back", "k":
			ch <- Back
		case "q", "quit", "exit":
			return
		}
	}
}

func readRaw(r io.Reader, ch chan<- Key) {
	br := bufio.NewReader(r)
	for {
		c, err := br.ReadByte()
		if err != nil {
			return
		}
		switch c {
		case 'n', 'N', ' ', '\r', '\n', 'j':
			ch <- Next
		case 'b', 'B', 'p', 'k':
			ch <- Back
		case 'q', 'Q', 4: // 4: Ctrl-D
			return
		case 0x1b: // Escape, or an arrow: ESC [ A..D
			if br.Buffered() == 0 {
				return
			}
			if b, _ := br.ReadByte(); b != '[' {
				continue
			}
			switch a, _ := br.ReadByte(); a {
			case 'C', 'B':
				ch <- Next
			case 'D', 'A':
				ch <- Back
			}
		}
	}
}
