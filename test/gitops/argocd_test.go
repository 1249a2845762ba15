package gitops

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// runHealthLua runs a health.lua on obj as Argo CD runs a health check
// from argocd-cm (util/lua in Argo CD): a fresh state with only the
// package, base and table libraries (Argo CD adds a reduced os library,
// which Wake's scripts do not use, and loads the string library only for
// its own built-in scripts or with useOpenLibs), the object as the global
// obj, one second to run, and the table the script returns read as
// {status, message}. A status Argo CD does not know is read as Unknown,
// as Argo CD does.
func runHealthLua(obj *unstructured.Unstructured, script string) (healthStatus, error) {
	l := lua.NewState(lua.Options{SkipOpenLibs: true})
	defer l.Close()
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{{lua.LoadLibName, lua.OpenPackage}, {lua.BaseLibName, lua.OpenBase}, {lua.TabLibName, lua.OpenTable}} {
		if err := l.CallByParam(lua.P{Fn: l.NewFunction(lib.open), Protect: true}, lua.LString(lib.name)); err != nil {
			return healthStatus{}, fmt.Errorf("open %s library: %w", lib.name, err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	l.SetContext(ctx)
	l.SetGlobal("obj", toLua(l, obj.Object))
	if err := l.DoString(script); err != nil {
		return healthStatus{}, err
	}
	ret, ok := l.Get(-1).(*lua.LTable)
	if !ok {
		return healthStatus{}, fmt.Errorf("expect table output from Lua script, not %s", l.Get(-1).Type())
	}
	// Argo CD encodes the table as JSON and decodes a HealthStatus from it.
	js, err := json.Marshal(fromLua(ret))
	if err != nil {
		return healthStatus{}, err
	}
	var hs healthStatus
	if err := json.Unmarshal(js, &hs); err != nil {
		return healthStatus{}, fmt.Errorf("health status %s: %w", js, err)
	}
	switch hs.Status {
	case healthy, progressing, degraded, "Suspended", "Missing", "Unknown":
		return hs, nil
	}
	return healthStatus{Status: "Unknown", Message: "Lua returned an invalid health status"}, nil
}

// toLua converts an unstructured value to Lua as Argo CD does: numbers,
// strings and booleans as themselves, lists as sequences, maps as tables,
// anything else as nil.
func toLua(l *lua.LState, v any) lua.LValue {
	switch v := v.(type) {
	case bool:
		return lua.LBool(v)
	case string:
		return lua.LString(v)
	case int64:
		return lua.LNumber(v)
	case float64:
		return lua.LNumber(v)
	case []any:
		t := l.CreateTable(len(v), 0)
		for _, e := range v {
			t.Append(toLua(l, e))
		}
		return t
	case map[string]any:
		t := l.CreateTable(0, len(v))
		for k, e := range v {
			t.RawSetString(k, toLua(l, e))
		}
		return t
	}
	return lua.LNil
}

// fromLua converts the script's result back to Go for JSON: a table's
// string keys become a map, anything else its string form.
func fromLua(v lua.LValue) any {
	switch v := v.(type) {
	case *lua.LTable:
		m := map[string]any{}
		v.ForEach(func(k, e lua.LValue) { m[k.String()] = fromLua(e) })
		return m
	case lua.LString:
		return string(v)
	case lua.LNumber:
		return float64(v)
	case lua.LBool:
		return bool(v)
	}
	return nil
}

// readScript returns kind's health.lua.
func readScript(t *testing.T, kind string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(customizations(), kind, "health.lua"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestArgoCDHealth runs every case of every kind's health_test.yaml, as
// Argo CD's own test of its resource customizations does.
func TestArgoCDHealth(t *testing.T) {
	for _, c := range allCases(t) {
		t.Run(c.name(), func(t *testing.T) {
			got, err := runHealthLua(c.obj, readScript(t, c.kind))
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Errorf("health = %+v, want %+v", got, c.want)
			}
		})
	}
}

// caseKind is what a test case shows, judged from its object and the
// health it expects.
type caseKind string

const (
	caseHealthy      caseKind = "Healthy (generation observed, Ready True)"
	caseNoStatus     caseKind = "Progressing (no status yet)"
	caseNotObserved  caseKind = "Progressing (generation not observed yet)"
	caseReadyUnknown caseKind = "Progressing (Ready Unknown)"
	caseReadyFalse   caseKind = "Degraded (Ready False)"
	caseUnclassified caseKind = "other"
)

func classify(c healthCase) caseKind {
	hasOG, current := observed(c.obj)
	ready, hasReady := readyCondition(c.obj)
	switch {
	case c.want.Status == progressing && !hasOG && !hasReady:
		return caseNoStatus
	case c.want.Status == progressing && hasOG && !current:
		return caseNotObserved
	case !current || !hasReady:
		return caseUnclassified
	case c.want.Status == healthy && ready["status"] == "True":
		return caseHealthy
	case c.want.Status == progressing && ready["status"] == "Unknown":
		return caseReadyUnknown
	case c.want.Status == degraded && ready["status"] == "False":
		return caseReadyFalse
	}
	return caseUnclassified
}

// TestEveryKindHasHealthCheck checks that every kind api/v1alpha1
// registers has a health.lua whose tests cover what the issue asks: Healthy
// only when the generation is observed and Ready is True, Progressing while
// it is not observed or Ready is Unknown (and before any status), Degraded
// when Ready is False. It also checks that there is no health check for a
// kind Wake does not have, and no test data that no test uses.
func TestEveryKindHasHealthCheck(t *testing.T) {
	kinds := rootKinds(t)
	if len(kinds) == 0 {
		t.Fatal("api/v1alpha1 registers no kind")
	}
	for _, kind := range kinds {
		t.Run(kind, func(t *testing.T) {
			readScript(t, kind)
			seen := map[caseKind]bool{}
			used := map[string]bool{}
			for _, c := range loadCases(t, kind) {
				seen[classify(c)] = true
				used[filepath.Clean(c.input)] = true
			}
			for _, want := range []caseKind{caseHealthy, caseNoStatus, caseNotObserved, caseReadyUnknown, caseReadyFalse} {
				if !seen[want] {
					t.Errorf("health_test.yaml has no case %s", want)
				}
			}
			files, err := filepath.Glob(filepath.Join(customizations(), kind, "testdata", "*"))
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range files {
				if rel := filepath.Join("testdata", filepath.Base(f)); !used[rel] {
					t.Errorf("%s is in no test of health_test.yaml", rel)
				}
			}
		})
	}
	dirs, err := os.ReadDir(customizations())
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		if !slices.Contains(kinds, d.Name()) {
			t.Errorf("%s has a health check but api/v1alpha1 registers no such kind", d.Name())
		}
	}
}

// TestRunHealthLua checks the runner against what Argo CD does with a
// script from argocd-cm, so that a health.lua that passes here runs there.
func TestRunHealthLua(t *testing.T) {
	obj := &unstructured.Unstructured{Object: map[string]any{
		"metadata": map[string]any{"generation": int64(3)},
		"spec":     map[string]any{"list": []any{"a", "b"}, "on": true, "ratio": 0.5},
	}}
	for _, tc := range []struct {
		name, script string
		want         healthStatus
		wantErr      bool
	}{{
		name:   "obj is the object",
		script: `return {status = "Healthy", message = obj.metadata.generation .. " " .. obj.spec.list[2] .. " " .. tostring(obj.spec.on) .. " " .. obj.spec.ratio}`,
		want:   healthStatus{Status: healthy, Message: "3 b true 0.5"},
	}, {
		name:   "table library",
		script: `local t = {} table.insert(t, "x") return {status = "Progressing", message = table.concat(t, ",")}`,
		want:   healthStatus{Status: progressing, Message: "x"},
	}, {
		name:    "no string library from argocd-cm",
		script:  `return {status = "Healthy", message = string.upper("x")}`,
		wantErr: true,
	}, {
		name:   "a status Argo CD does not know",
		script: `return {status = "Fine"}`,
		want:   healthStatus{Status: "Unknown", Message: "Lua returned an invalid health status"},
	}, {
		name:    "not a table",
		script:  `return "Healthy"`,
		wantErr: true,
	}, {
		name:    "endless",
		script:  `while true do end`,
		wantErr: true,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := runHealthLua(obj, tc.script)
			if (err != nil) != tc.wantErr {
				t.Fatalf("error = %v, want error %v", err, tc.wantErr)
			}
			if got != tc.want {
				t.Errorf("health = %+v, want %+v", got, tc.want)
			}
		})
	}
}
