package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lywatch/lywatch/ipc"
	"github.com/lywatch/lywatch/klayout"
)

func runKLayoutStatus(ctx context.Context, e *env, args []string) int {
	fs := klayoutFlags(e, "status")
	tf := addIPCTargetFlags(fs, 5*time.Second)
	asJSON := fs.Bool("json", false, "print the status as JSON")
	noColor := fs.Bool("no-color", false, "no colours")
	pos, code, ok := parseArgs(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 0 {
		return e.errorf("klayout status: unexpected arguments %q", pos)
	}
	cs, err := tf.clients()
	if err != nil {
		return e.errorf("klayout status: %v", err)
	}
	c := cs[0]
	st, err := c.Status(ctx)
	if err != nil {
		why := ""
		if errors.Is(err, ipc.ErrNoServer) {
			why = whyNoServer(klayout.PortOf(c.Address()))
		}
		if *asJSON {
			writeJSON(e, noStatusJSON{Listening: false, Error: err.Error(), Why: strings.TrimSpace(why)})
			return exitFail
		}
		fmt.Fprintf(e.stderr, "lywatch: %v\n%s", err, why)
		return exitFail
	}
	if *asJSON {
		return writeJSON(e, st)
	}
	bold, dim := colors(e, *noColor)
	printKLayoutStatus(e, st, c.Address(), bold.Sprint, dim.Sprint)
	return exitOK
}

// noStatusJSON is status --json when no server answers.
type noStatusJSON struct {
	Listening bool   `json:"listening"`
	Error     string `json:"error"`
	Why       string `json:"why"`
}

func printKLayoutStatus(e *env, st *ipc.Status, addr string, bold, dim func(...any) string) {
	w := e.stdout
	fmt.Fprintf(w, "%s on %s: %s, pid %d\n", bold("lywatch server "+st.ServerVersion), addr, st.KLayoutVersion, st.PID)
	if st.Name != "" {
		fmt.Fprintf(w, "  name %s\n", st.Name)
	}
	if st.ServerVersion != "" && st.ServerVersion != klayout.ServerVersion() {
		fmt.Fprintf(w, "  %s\n", dim(fmt.Sprintf("this lywatch has server %s: run 'lywatch klayout install' and restart KLayout", klayout.ServerVersion())))
	}
	if st.Views == 0 {
		fmt.Fprintln(w, "  no layout open")
	} else {
		fmt.Fprintf(w, "  view %d of %d: %s, cell %s\n", st.CurrentView+1, st.Views, st.File, bold(st.Cell))
		if len(st.Box) == 4 {
			fmt.Fprintf(w, "  view box: (%.6g, %.6g) to (%.6g, %.6g) µm, hierarchy levels %d..%d\n", st.Box[0], st.Box[1], st.Box[2], st.Box[3], st.MinHier, st.MaxHier)
		}
		fmt.Fprintf(w, "  layers: %d visible", len(st.VisibleLayers))
		if len(st.HiddenLayers) > 0 {
			fmt.Fprintf(w, ", %d hidden (%s)", len(st.HiddenLayers), strings.Join(st.HiddenLayers, " "))
		}
		fmt.Fprintln(w)
	}
	if ll := st.LastLoad; ll != nil {
		ago := time.Since(time.Unix(0, int64(ll.Time*1e9))).Round(time.Second)
		fmt.Fprintf(w, "  %s\n", dim(fmt.Sprintf("last push: %s of %s in %.0f ms, %v ago (%d pushes)", ll.Type, ll.File, ll.LoadMS, ago, st.Loads)))
	}
	if st.FileWatcher {
		fmt.Fprintf(w, "  %s\n", dim("KLayout's 'check files for updates' is on: its prompt may block reloads"))
	}
	if st.Note != "" {
		fmt.Fprintf(w, "  note in KLayout: %s\n", st.Note)
	}
	if len(st.Dialogs) > 0 {
		fmt.Fprintf(w, "  KLayout shows a dialog (%s): close it if pushes seem stuck\n", strings.Join(st.Dialogs, ", "))
	}
	if st.Lyipc || st.Klive {
		fmt.Fprintf(w, "  %s\n", dim("unauthenticated lyipc/klive compatibility is on (this machine only)"))
	}
}

// whyNoServer explains from the discovery files why nothing answers on port.
func whyNoServer(port int) string {
	ds, err := klayout.ReadDiscovery(port)
	if err != nil || len(ds) == 0 {
		return ""
	}
	var b strings.Builder
	for _, d := range ds {
		switch {
		case !d.Alive():
			fmt.Fprintf(&b, "  a KLayout (pid %d) ran the server on port %d but is gone (stale %s)\n", d.PID, d.Port, d.Path)
		case !d.Listening:
			fmt.Fprintf(&b, "  KLayout pid %d runs the lywatch server but it could not listen: %s\n", d.PID, d.Error)
		default:
			fmt.Fprintf(&b, "  KLayout pid %d says it listens on port %d but does not answer (busy, or a modal dialog open?)\n", d.PID, d.Port)
		}
	}
	return b.String()
}

// listJSON is one instance in klayout list --json.
type listJSON struct {
	Name           string  `json:"name"`
	Addr           string  `json:"addr"`
	Port           int     `json:"port"`
	PID            int     `json:"pid"`
	Instance       string  `json:"instance"`
	Listening      bool    `json:"listening"` // the server took its port
	Answers        bool    `json:"answers"`   // and answered a ping now
	Stale          bool    `json:"stale"`     // its KLayout is gone (killed): the file was left behind
	Error          string  `json:"error"`
	ServerVersion  string  `json:"server_version"`
	KLayoutVersion string  `json:"klayout_version"`
	Started        float64 `json:"started"`
	File           string  `json:"file"` // the discovery file
}

func runKLayoutList(ctx context.Context, e *env, args []string) int {
	fs := klayoutFlags(e, "list")
	asJSON := fs.Bool("json", false, "print the instances as JSON")
	noColor := fs.Bool("no-color", false, "no colours")
	pos, code, ok := parseArgs(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 0 {
		return e.errorf("klayout list: unexpected arguments %q", pos)
	}
	live, stale, err := klayout.List()
	if err != nil {
		return e.errorf("klayout list: %v", err)
	}
	out := []listJSON{}
	for i, d := range append(live, stale...) {
		j := listJSON{Name: d.Name, Addr: d.Addr(), Port: d.Port, PID: d.PID, Instance: d.Instance, Listening: d.Listening,
			Stale: i >= len(live), Error: d.Error, ServerVersion: d.ServerVersion, KLayoutVersion: d.KLayoutVersion,
			Started: d.Started, File: d.Path}
		if !j.Stale && j.Listening {
			var pong struct {
				Instance string `json:"instance"`
			}
			c := &ipc.Client{Addr: d.Addr(), Timeout: 2 * time.Second}
			j.Answers = c.Call(ctx, ipc.CmdPing, nil, &pong) == nil && (pong.Instance == d.Instance || d.Instance == "")
		}
		out = append(out, j)
	}
	if *asJSON {
		return writeJSON(e, out)
	}
	if len(out) == 0 {
		fmt.Fprintln(e.stdout, "no KLayout runs lywatch's server; start one with 'lywatch klayout start'")
		return exitOK
	}
	bold, dim := colors(e, *noColor)
	here := projectDir()
	for _, j := range out {
		state := "listening"
		switch {
		case j.Stale:
			state = "gone (stale " + j.File + ")"
		case !j.Listening:
			state = "not listening: " + j.Error
		case !j.Answers:
			state = "listening, not answering"
		}
		name := j.Name
		if name == "" {
			name = "(no name)"
		}
		mark := "  "
		if j.Name != "" && j.Name == here {
			mark = "* "
		}
		fmt.Fprintf(e.stdout, "%s%s  %s  %s\n", mark, bold.Sprint(name), j.Addr, dim.Sprintf("pid %d, %s, %s", j.PID, j.KLayoutVersion, state))
	}
	return exitOK
}
