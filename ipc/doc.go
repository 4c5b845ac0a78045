// Package ipc pushes layouts into a running KLayout: the client and the wire
// protocols it speaks, lywatch's own (line-delimited JSON, to the server
// macro of package klayout) and those of the stock lyipc (text commands on
// port 11078) and klive (JSON on port 8082) servers. Each protocol is one
// file implementing a small interface (wire).
//
// A push is one connection: the client sends a request line, waits for the
// reply (with connect and reply timeouts) and closes. Nothing listening is
// reported as ErrNoServer so callers can carry on and push again later.
package ipc
