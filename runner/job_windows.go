package runner

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"unsafe"

	"golang.org/x/sys/windows"
)

// job is the tree of a build on Windows: a Job Object holding every
// process the build starts. Created with JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE,
// it ends them all when its last handle closes, which happens when lywatch
// exits, however it exits: the build dies with lywatch.
type job struct {
	h    windows.Handle
	pid  int // the build's first process, also its console process group
	logf func(string, ...any)
}

// newJob creates the Job Object of one build.
func newJob(logf func(string, ...any)) (*job, error) {
	h, err := windows.CreateJobObject(nil, nil) // not inheritable: only lywatch holds it
	if err != nil {
		return nil, fmt.Errorf("create job object: %w", err)
	}
	var info windows.JOBOBJECT_EXTENDED_LIMIT_INFORMATION
	info.BasicLimitInformation.LimitFlags = windows.JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE
	if _, err := windows.SetInformationJobObject(h, windows.JobObjectExtendedLimitInformation,
		uintptr(unsafe.Pointer(&info)), uint32(unsafe.Sizeof(info))); err != nil {
		windows.CloseHandle(h)
		return nil, fmt.Errorf("set job object limits: %w", err)
	}
	return &job{h: h, logf: logf}, nil
}

// adopt puts process pid, started suspended, into the job and then lets
// it run: it cannot start a child outside the job first.
func (j *job) adopt(pid int) error {
	j.pid = pid
	p, err := windows.OpenProcess(windows.PROCESS_SET_QUOTA|windows.PROCESS_TERMINATE, false, uint32(pid))
	if err != nil {
		return fmt.Errorf("open process %d: %w", pid, err)
	}
	defer windows.CloseHandle(p)
	if err := windows.AssignProcessToJobObject(j.h, p); err != nil {
		return fmt.Errorf("assign process %d to a job object: %w", pid, err)
	}
	return resumeThreads(uint32(pid))
}

// resumeThreads resumes every thread of process pid (one, right after a
// suspended start).
func resumeThreads(pid uint32) error {
	snap, err := windows.CreateToolhelp32Snapshot(windows.TH32CS_SNAPTHREAD, 0)
	if err != nil {
		return fmt.Errorf("list threads: %w", err)
	}
	defer windows.CloseHandle(snap)
	te := windows.ThreadEntry32{Size: uint32(unsafe.Sizeof(windows.ThreadEntry32{}))}
	n := 0
	for err = windows.Thread32First(snap, &te); err == nil; err = windows.Thread32Next(snap, &te) {
		if te.OwnerProcessID != pid {
			continue
		}
		th, err := windows.OpenThread(windows.THREAD_SUSPEND_RESUME, false, te.ThreadID)
		if err != nil {
			return fmt.Errorf("open thread %d of process %d: %w", te.ThreadID, pid, err)
		}
		_, err = windows.ResumeThread(th)
		windows.CloseHandle(th)
		if err != nil {
			return fmt.Errorf("resume thread %d of process %d: %w", te.ThreadID, pid, err)
		}
		n++
	}
	if !errors.Is(err, windows.ERROR_NO_MORE_FILES) {
		return fmt.Errorf("list threads of process %d: %w", pid, err)
	}
	if n == 0 {
		return fmt.Errorf("process %d has no thread to resume", pid)
	}
	return nil
}

func (j *job) String() string { return fmt.Sprintf("job object of process %d", j.pid) }

// terminate sends CTRL_BREAK to the build's console process group, the
// nearest Windows has to SIGTERM. Without a console shared with lywatch
// it cannot be sent: the build is then killed at once.
func (j *job) terminate() bool {
	return windows.GenerateConsoleCtrlEvent(windows.CTRL_BREAK_EVENT, uint32(j.pid)) == nil
}

func (j *job) kill() {
	if err := windows.TerminateJobObject(j.h, 1); err != nil {
		j.logf("terminate %s: %v", j, err)
	}
}

// basicAccounting is JOBOBJECT_BASIC_ACCOUNTING_INFORMATION, which
// x/sys/windows does not define.
type basicAccounting struct {
	TotalUserTime             int64
	TotalKernelTime           int64
	ThisPeriodTotalUserTime   int64
	ThisPeriodTotalKernelTime int64
	TotalPageFaultCount       uint32
	TotalProcesses            uint32
	ActiveProcesses           uint32
	TotalTerminatedProcesses  uint32
}

func (j *job) alive() bool {
	var info basicAccounting
	err := windows.QueryInformationJobObject(j.h, windows.JobObjectBasicAccountingInformation,
		uintptr(unsafe.Pointer(&info)), uint32(unsafe.Sizeof(info)), nil)
	if err != nil {
		j.logf("query %s: %v", j, err)
		return false
	}
	return info.ActiveProcesses > 0
}

// reap has nothing to do: Windows keeps no zombies in a job.
func (j *job) reap() {}

// close releases the job; any process still in it ends.
func (j *job) close() { windows.CloseHandle(j.h) }

// start runs argv in a Job Object of its own, supervised by lywatch.
// Runner.Guard is not used: the job already ends the build with lywatch.
// The events file is removed by Run (remove is for guards). Extra
// descriptors (extra, for warm workers) are not supported here.
func (r *Runner) start(argv, env []string, stdout, stderr *os.File, remove string, extra []*os.File) (proc, error) {
	if len(extra) > 0 {
		return nil, errors.New("runner: passing descriptors to a build is not supported on Windows")
	}
	j, err := newJob(r.logf)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = r.Dir
	cmd.Env = env
	cmd.Stdout = stdout
	cmd.Stderr = stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{CreationFlags: windows.CREATE_SUSPENDED | windows.CREATE_NEW_PROCESS_GROUP}
	if err := cmd.Start(); err != nil {
		j.close()
		return nil, fmt.Errorf("start %s: %w", argv[0], err)
	}
	if err := j.adopt(cmd.Process.Pid); err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		j.close()
		return nil, fmt.Errorf("start %s: %w", argv[0], err)
	}
	return newLocal(cmd, j, r.grace(), r.logf, j.close), nil
}
