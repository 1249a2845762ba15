package promtext

import (
	"reflect"
	"strings"
	"testing"
)

const page = `# HELP workqueue_depth Current depth of workqueue
# TYPE workqueue_depth gauge
workqueue_depth{controller="function",name="function"} 3
workqueue_depth{controller="revision",name="revision"} 4
workqueue_adds_total{controller="function",name="function"} 12
apiserver_resource_objects{group="apps",resource="deployments"} 1000
apiserver_resource_objects{group="",resource="pods"} 2e+00
odd_labels{a="x,y}",b="say \"hi\"\nback\\slash" , } +Inf 1700000000000
no_labels 42
`

func TestParse(t *testing.T) {
	got, err := Parse(strings.NewReader(page), Names("workqueue_depth", "apiserver_resource_objects", "odd_labels", "no_labels"))
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, 0, len(got))
	for _, s := range got {
		names = append(names, s.Name)
	}
	want := []string{"workqueue_depth", "workqueue_depth", "apiserver_resource_objects", "apiserver_resource_objects", "odd_labels", "no_labels"}
	if !reflect.DeepEqual(names, want) {
		t.Fatalf("names = %v, want %v", names, want)
	}
	if odd := got[4]; odd.Labels["a"] != "x,y}" || odd.Labels["b"] != "say \"hi\"\nback\\slash" || odd.Value <= 1e308 {
		t.Errorf("odd_labels = %+v", odd)
	}
	if v, ok := Sum(got, "workqueue_depth", nil); !ok || v != 7 {
		t.Errorf("Sum(workqueue_depth) = %v %v, want 7 true", v, ok)
	}
	if v, ok := Sum(got, "workqueue_depth", map[string]string{"controller": "revision"}); !ok || v != 4 {
		t.Errorf("Sum(revision) = %v %v, want 4 true", v, ok)
	}
	if _, ok := Sum(got, "workqueue_depth", map[string]string{"controller": "route"}); ok {
		t.Error("Sum matched a label value that is not there")
	}
	if _, ok := Sum(got, "workqueue_adds_total", nil); ok {
		t.Error("Parse kept a name it was not asked for")
	}
	by := By(got, "apiserver_resource_objects", "resource")
	if !reflect.DeepEqual(by, map[string]float64{"deployments": 1000, "pods": 2}) {
		t.Errorf("By = %v", by)
	}
}

func TestParseRejectsMalformedKeptSamples(t *testing.T) {
	keep := func(string) bool { return true }
	for _, line := range []string{
		`m{a="x"`,
		`m{a="x} 1`,
		`m{a=x} 1`,
		`m{="x"} 1`,
		`m{a="\q"} 1`,
		`m{a="x\`,
		`m{a="x"}`,
		`m one`,
		`m 1 2 3`,
		`{a="x"} 1`,
		`m`,
	} {
		if _, err := Parse(strings.NewReader(line+"\n"), keep); err == nil {
			t.Errorf("Parse(%q) succeeded", line)
		}
	}
}

func TestParseSkipsUnkeptMalformedLines(t *testing.T) {
	got, err := Parse(strings.NewReader("other{a=broken\nm 1\n"), Names("m"))
	if err != nil || len(got) != 1 || got[0].Value != 1 {
		t.Fatalf("Parse = %v, %v", got, err)
	}
}

func TestParseRejectsHugeLines(t *testing.T) {
	if _, err := Parse(strings.NewReader("m "+strings.Repeat("1", maxLine+1)+"\n"), Names("m")); err == nil {
		t.Error("Parse accepted a line over the limit")
	}
}
