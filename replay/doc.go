// Package replay plays a sequence of layouts into KLayout: the history
// frames of a target's good builds, or the steps a build traced. Each
// layout is shown through a Screen (today: written to one file that
// KLayout reloads, keeping its view), at a given pace or one key press
// at a time; when the replay ends, however it ends, the target's last
// good layout is put back on screen.
package replay
