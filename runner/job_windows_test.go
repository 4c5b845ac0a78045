package runner

import (
	"bytes"
	"context"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
)

// TestBasicAccountingLayout: JOBOBJECT_BASIC_ACCOUNTING_INFORMATION is
// four LARGE_INTEGERs and four DWORDs.
func TestBasicAccountingLayout(t *testing.T) {
	if n := unsafe.Sizeof(basicAccounting{}); n != 48 {
		t.Errorf("size %d, want 48", n)
	}
}

// TestJobHoldsChildren: a process started suspended and adopted by a job
// runs, its children are in the job, and killing the job ends them all.
func TestJobHoldsChildren(t *testing.T) {
	j, err := newJob(t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	defer j.close()
	// cmd starts a second ping in the background: a child of the build.
	cmd := exec.Command("cmd", "/c", "start /b ping -n 1000 127.0.0.1 >NUL & ping -n 1000 127.0.0.1 >NUL")
	cmd.SysProcAttr = &syscall.SysProcAttr{CreationFlags: windows.CREATE_SUSPENDED | windows.CREATE_NEW_PROCESS_GROUP}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if err := j.adopt(cmd.Process.Pid); err != nil {
		cmd.Process.Kill()
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for j.active() < 3 { // cmd and two pings
		if time.Now().After(deadline) {
			t.Fatalf("%d processes in the job, want 3", j.active())
		}
		time.Sleep(10 * time.Millisecond)
	}
	j.kill()
	cmd.Wait()
	for j.alive() {
		if time.Now().After(deadline) {
			t.Fatalf("%d processes in the job after TerminateJobObject", j.active())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// active counts the job's processes (for the test).
func (j *job) active() uint32 {
	var info basicAccounting
	windows.QueryInformationJobObject(j.h, windows.JobObjectBasicAccountingInformation,
		uintptr(unsafe.Pointer(&info)), uint32(unsafe.Sizeof(info)), nil)
	return info.ActiveProcesses
}

// TestRunOnWindows: exit codes, prefixed output, and a stopped build.
func TestRunOnWindows(t *testing.T) {
	var out bytes.Buffer
	r := &Runner{Stdout: &out, Stderr: &out, Grace: 200 * time.Millisecond}
	res := r.Run(context.Background(), Request{Command: []string{"cmd", "/c", "echo built & exit 3"}})
	if res.ExitCode != 3 || !strings.Contains(out.String(), "[build] built") {
		t.Errorf("got %+v\n%s", res, out.String())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	start := time.Now()
	res = r.Run(ctx, Request{Command: []string{"cmd", "/c", "ping -n 1000 127.0.0.1 >NUL"}})
	if !res.Stopped || time.Since(start) > 10*time.Second {
		t.Errorf("got %+v after %s, want stopped", res, time.Since(start))
	}
}
