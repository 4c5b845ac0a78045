// Package klayout is lywatch's side inside KLayout: the server macro that
// runs in KLayout's GUI (Python, embedded in the binary, see ServerMacro),
// installing it as an autorun macro, launching KLayout with it, the
// discovery files each server writes, and stopping a server. The client and
// the wire protocols are in package ipc.
package klayout
