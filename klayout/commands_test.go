package klayout

import (
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/lywatch/lywatch/ipc"
)

// TestCommandTablesAgree reads the server macro's COMMANDS table with
// Python's ast and checks that it holds exactly the commands the Go client
// sends (ipc.Commands). The running server's own list is checked in the
// end-to-end test.
func TestCommandTablesAgree(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed")
	}
	out, err := exec.Command(py, "-B", "testdata/commands.py", "server.py").CombinedOutput()
	if err != nil {
		t.Fatalf("commands.py: %v\n%s", err, out)
	}
	server := strings.Fields(string(out))
	client := ipc.Commands()
	slices.Sort(server)
	slices.Sort(client)
	if !slices.Equal(server, client) {
		t.Errorf("server.py's COMMANDS %v, client's ipc.Commands() %v", server, client)
	}
}
