// Package ipc pushes layouts into a running KLayout. It holds the server
// macro that runs inside KLayout's GUI (embedded in the binary, see
// ServerMacro and Install), the client for lywatch's line-delimited JSON
// protocol, and clients for the stock lyipc (text commands on port 11078) and
// klive (JSON on port 8082) servers, plus the discovery files the server
// writes so lywatch can tell whether a KLayout is listening.
//
// A push is one connection: the client sends a request line, waits for the
// reply (with connect and reply timeouts) and closes. Nothing listening is
// reported as ErrNoServer so callers can carry on and push again later.
package ipc
