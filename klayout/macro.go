package klayout

import (
	_ "embed"
	"strings"
)

//go:embed server.py
var serverMacro []byte

// MacroName is the base name the server macro is installed and extracted
// under (with .py or .lym appended).
const MacroName = "lywatch_server"

// ServerMacro returns the Python source of the server macro that runs inside
// KLayout (`klayout -e -rm lywatch_server.py`). The slice is a fresh copy.
func ServerMacro() []byte {
	return append([]byte(nil), serverMacro...)
}

// ServerVersion returns the version string the embedded server macro reports
// in its status, so a client can tell an outdated installed macro.
func ServerVersion() string {
	for _, line := range strings.Split(string(serverMacro), "\n") {
		if v, ok := strings.CutPrefix(line, "SERVER_VERSION = "); ok {
			return strings.Trim(v, "\"' \r")
		}
	}
	return ""
}
