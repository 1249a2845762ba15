package validation

import (
	"os"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wakefn/wake/internal/testenv"
)

// k8s talks to the envtest API server directly, with strict field
// validation.
var k8s client.Client

// TestMain starts an API server with Wake's CRDs, then the tests.
func TestMain(m *testing.M) {
	env, err := testenv.Start()
	if err != nil {
		panic(err)
	}
	c, err := env.Client()
	if err != nil {
		panic(err)
	}
	// Strict, as kubectl apply is: an unknown or duplicate field is an
	// error, not a warning.
	k8s = client.WithFieldValidation(c, client.FieldValidation(metav1.FieldValidationStrict))
	code := m.Run()
	_ = env.Stop()
	os.Exit(code)
}
