// Package keeper keeps the activator's data-plane listening sockets open
// across a crash of the activator's process.
//
// Behind a Service, kube-proxy keeps sending new connections to a pod for
// a second or two after its process died (until kubelet notices, the pod
// turns NotReady and the EndpointSlice change reaches every node). With
// nothing listening those connections are refused. A Keeper, run as a
// second container of the activator's pod (same network namespace; the
// same image, "activator keep-listeners"), creates the listening sockets
// once and never accepts on them. It hands duplicates of them to the
// activator over a unix socket on an emptyDir only the two containers
// mount (SCM_RIGHTS), and only to a peer running as its own uid
// (SO_PEERCRED). When the activator's process dies, the kernel keeps
// completing handshakes into the sockets' backlog, because the keeper
// still holds them; the restarted activator takes the same sockets and
// serves what queued.
//
// The protocol, one exchange per line over a stream unix socket:
//
//	activator: "take\n"
//	keeper:    "wake-keeper/1 <n>\n" with n descriptors (SCM_RIGHTS)
//	activator: "release\n"   (when it stops accepting, on a graceful stop)
//	keeper:    "released\n"  (its copies are closed)
//
// The connection stays open while the activator runs: the keeper counts
// it as a lease. A graceful stop releases, so that once the activator
// closes its own copies the ports refuse connections as they would
// without a keeper, and nothing queues where nobody will accept; the next
// take opens the sockets again. A crash does not release: the sockets
// stay open for the activator that kubelet starts next. Anything else on
// the socket ends the connection.
//
// A keeper that itself restarts while the activator holds the sockets
// cannot open them again and exits until the activator is gone; the
// activator serves on meanwhile, without the guarantee.
//
// On SIGTERM (its context ending) a keeper closes its sockets once no
// lease is held or they were released, or after Options.TermWait. As a
// Kubernetes sidecar (an init container with restartPolicy Always) it is
// stopped only after the activator container exited, so it closes at once.
package keeper
