package routing

import "testing"

func TestRevisionProtocol(t *testing.T) {
	in := Input{
		Domain: "example.com",
		Revisions: []RevisionInput{
			{Key: nn("a", "grpc-1"), Protocol: ProtocolH2C},
			{Key: nn("a", "web-1"), Protocol: ProtocolHTTP1},
			{Key: nn("a", "plain-1")},
			{Key: nn("a", "odd-1"), Protocol: "h3"},
		},
		Functions: []FunctionInput{
			{Namespace: "a", Name: "grpc", LatestReadyRevision: "grpc-1"},
			{Namespace: "a", Name: "web", LatestReadyRevision: "web-1"},
			{Namespace: "a", Name: "plain", LatestReadyRevision: "plain-1"},
			{Namespace: "a", Name: "odd", LatestReadyRevision: "odd-1"},
			{Namespace: "a", Name: "unlisted", LatestReadyRevision: "unlisted-1"},
		},
	}
	tbl, problems := Build(in)
	if len(problems) != 1 || problems[0].Kind != "Revision" || problems[0].Object != nn("a", "odd-1") {
		t.Errorf("problems = %v, want one for revision a/odd-1", problems)
	}
	tests := []struct {
		fn   string
		want Protocol
	}{
		{"grpc", ProtocolH2C},
		{"web", ProtocolHTTP1},
		{"plain", ProtocolHTTP1},    // empty means HTTP/1.1
		{"odd", ProtocolHTTP1},      // unknown: reported, HTTP/1.1
		{"unlisted", ProtocolHTTP1}, // no RevisionInput at all
	}
	for _, tc := range tests {
		res := tbl.Lookup(tc.fn+".a.example.com", "/", "GET", nil)
		if res.Kind != Found || res.Revision.Protocol != tc.want {
			t.Errorf("%s: %v %+v, want protocol %q", tc.fn, res.Kind, res.Revision, tc.want)
		}
	}
}
