//go:build !windows

package runner

// ChangedLimit is the most bytes EnvChanged holds as a list of paths:
// Linux refuses a variable longer than 128 KiB (MAX_ARG_STRLEN), and the
// arguments and environment together share a limit too.
const ChangedLimit = 64 << 10
