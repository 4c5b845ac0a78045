//go:build !linux

package runner

// groupMembers is not known here: processes a warm build leaves behind
// end with its worker.
func groupMembers(pgid int) []int { return nil }

// residentSize is not known here: a worker's memory is not watched.
func residentSize(pid int) int64 { return 0 }
