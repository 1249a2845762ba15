package names

import "testing"

func TestRevisionRoundTrip(t *testing.T) {
	tests := []struct {
		function string
		n        int64
		want     string
	}{
		{"hello", 1, "hello-00001"},
		{"hello", 42, "hello-00042"},
		{"a-b", 123456, "a-b-123456"},
	}
	for _, tt := range tests {
		got := Revision(tt.function, tt.n)
		if got != tt.want {
			t.Errorf("Revision(%q, %d) = %q, want %q", tt.function, tt.n, got, tt.want)
		}
		if back := RevisionNumber(tt.function, got); back != tt.n {
			t.Errorf("RevisionNumber(%q, %q) = %d, want %d", tt.function, got, back, tt.n)
		}
	}
}

func TestRevisionNumberRejectsOthers(t *testing.T) {
	for _, tt := range []struct{ function, revision string }{
		{"hello", "other-00001"},
		{"hello", "hello-1"},
		{"hello", "hello-abcde"},
		{"hello", "hello-00000"},
		{"a", "a-b-00001"},
	} {
		if n := RevisionNumber(tt.function, tt.revision); n != 0 {
			t.Errorf("RevisionNumber(%q, %q) = %d, want 0", tt.function, tt.revision, n)
		}
	}
}

func TestFunctionOf(t *testing.T) {
	for rev, want := range map[string]string{
		"hello-00001": "hello", "my-fn-00042": "my-fn", "hello": "", "hello-1": "", "-00001": "", "hello-0000x": "",
	} {
		if got := FunctionOf(rev); got != want {
			t.Errorf("FunctionOf(%q) = %q, want %q", rev, got, want)
		}
	}
}
