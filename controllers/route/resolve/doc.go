// Package resolve is the Route reconciler's pure logic: it resolves each
// rule's traffic targets to revisions (Traffic), decides which Route holds
// a host (ArbitrateHosts), decides whether the credential Secrets a Route
// names are mirrored (MarkCredentials), and computes the values Routes are
// indexed by (ClaimedHosts, FunctionNames, RevisionNames,
// CredentialSecretNames) and the Route's URL. It builds no objects.
//
// What belongs here: decisions about Routes made from objects already read.
// Nothing here takes a client or a context; every function is
// deterministic, and the reconciler (package route) does the reading and
// writing.
package resolve
