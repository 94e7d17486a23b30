package discordtest

import (
	"net"
	"net/http"
)

// ResetNext makes the next n requests matching route (as in FailNext) fail in transport:
// the stand-in reads each request, does not act on it, and resets the TCP connection
// instead of answering, as a dropped network path or a proxy timing out does. The client
// sees a transport error ("connection reset by peer"), not an HTTP status; the request is
// recorded with Status 0.
func (s *Server) ResetNext(route string, n int) {
	s.InjectFault(route, n, Fault{Reset: true})
}

// resetConnection closes the request's connection with a TCP RST and writes nothing.
func resetConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic("discordtest: the stand-in's connections cannot be hijacked")
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return // already gone: the client sees its connection end all the same
	}
	if tcp, ok := conn.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0) // close with RST, not FIN
	}
	_ = conn.Close()
}
