package klayout

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
)

// Discovery is the file a server writes when it starts, in
// <user cache dir>/lywatch/klayout-<port>.json, and removes at exit. A server
// that could not take its port writes klayout-<port>-<pid>.json (or the main
// name if free) with Listening false and the reason in Error.
type Discovery struct {
	PID  int    `json:"pid"`
	Port int    `json:"port"`
	Bind string `json:"bind"`
	// Name is the instance's name: the project directory it was started
	// for (lywatch klayout start --name to choose), "" when started by hand.
	Name string `json:"name"`
	// Instance is a random id the server picks when it starts, so a
	// restarted KLayout on the same port is told from the one before.
	Instance       string  `json:"instance"`
	Listening      bool    `json:"listening"`
	Error          string  `json:"error"`
	ServerVersion  string  `json:"server_version"`
	Protocol       int     `json:"protocol"`
	KLayoutVersion string  `json:"klayout_version"`
	Started        float64 `json:"started"` // Unix seconds
	Path           string  `json:"-"`       // the file it was read from
}

// DiscoveryDir returns <user cache dir>/lywatch, where servers write their
// discovery files (the server computes the same directory: XDG_CACHE_HOME or
// ~/.cache on Linux).
func DiscoveryDir() (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("discovery: %w", err)
	}
	return filepath.Join(dir, "lywatch"), nil
}

// DiscoveryPath returns the discovery file of the server on port.
func DiscoveryPath(port int) (string, error) {
	dir, err := DiscoveryDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "klayout-"+strconv.Itoa(port)+".json"), nil
}

// ReadDiscoveryFile reads one discovery file.
func ReadDiscoveryFile(path string) (*Discovery, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var d Discovery
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("discovery file %s: %w", path, err)
	}
	d.Path = path
	return &d, nil
}

// ReadDiscovery returns the discovery files of servers that started for
// port, the one listening first. A missing directory gives none and no error.
func ReadDiscovery(port int) ([]*Discovery, error) {
	main, err := DiscoveryPath(port)
	if err != nil {
		return nil, err
	}
	others, err := filepath.Glob(strings.TrimSuffix(main, ".json") + "-*.json")
	if err != nil {
		return nil, err
	}
	sort.Strings(others)
	var out []*Discovery
	for _, p := range append([]string{main}, others...) {
		d, err := ReadDiscoveryFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return out, err
		}
		out = append(out, d)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Listening && !out[j].Listening })
	return out, nil
}

// Addr returns the address to connect to: the port on the address the
// server listens on (127.0.0.1 when it listens on every address).
func (d *Discovery) Addr() string {
	host := d.Bind
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, strconv.Itoa(d.Port))
}

// List returns the discovery file of every server whose KLayout still runs,
// by port, and the stale ones (a KLayout killed without removing its file)
// apart. A missing directory gives none and no error.
func List() (live, stale []*Discovery, err error) {
	dir, err := DiscoveryDir()
	if err != nil {
		return nil, nil, err
	}
	paths, err := filepath.Glob(filepath.Join(dir, "klayout-*.json"))
	if err != nil {
		return nil, nil, err
	}
	for _, p := range paths {
		d, err := ReadDiscoveryFile(p)
		if err != nil {
			continue // being written, or not ours to judge
		}
		if d.Alive() {
			live = append(live, d)
		} else {
			stale = append(stale, d)
		}
	}
	byPort := func(ds []*Discovery) {
		sort.SliceStable(ds, func(i, j int) bool {
			if ds[i].Port != ds[j].Port {
				return ds[i].Port < ds[j].Port
			}
			return ds[i].Listening && !ds[j].Listening
		})
	}
	byPort(live)
	byPort(stale)
	return live, stale, nil
}

// Alive reports whether the process that wrote d still runs (on Unix; on
// other systems it assumes so).
func (d *Discovery) Alive() bool {
	if d.PID <= 0 {
		return false
	}
	p, err := os.FindProcess(d.PID)
	if err != nil {
		return false
	}
	err = p.Signal(syscall.Signal(0))
	return err == nil || errors.Is(err, syscall.EPERM)
}

// PortOf returns the port of a host:port address, or 0.
func PortOf(addr string) int {
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(p)
	return n
}
