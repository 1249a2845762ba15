package kubectlwake

import (
	"strconv"

	"github.com/spf13/cobra"
	"sigs.k8s.io/controller-runtime/pkg/client"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
)

// newUsageCommand returns `usage function NAME`.
func newUsageCommand(e *env) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "usage function NAME",
		Short: "A Function's metered use per UTC day (status.usage)",
		Long: `Show what a Function used per UTC day, as Wake's metering bills it (its
status.usage, the latest day first, 7 at most): the requests that reached
it, the billed 100 ms units, GB-seconds and vCPU-seconds (units weighted
by the container's memory and CPU), the requests that waited for a cold
start, and the requests Wake refused before they reached it (never billed).
The autoscaler's leader writes it at most once a minute: the last minute or
two are not shown yet.`,
		Example: `  kubectl wake usage function hello
  kubectl wake usage fn hello -o json`,
	}
	addOutputFlag(cmd, &format)
	cmd.AddCommand(&cobra.Command{
		Use:     "function NAME",
		Aliases: []string{"fn", "functions"},
		Short:   "Usage of one Function",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			c, ns, err := e.setup()
			if err != nil {
				return err
			}
			fn := &servingv1alpha1.Function{}
			if err := c.Get(cmd.Context(), client.ObjectKey{Namespace: ns, Name: args[0]}, fn); err != nil {
				return readErr(err, "function", ns, args[0])
			}
			u := fn.Status.Usage
			if format != formatText {
				if u == nil {
					u = &servingv1alpha1.FunctionUsage{Days: []servingv1alpha1.FunctionUsageDay{}}
				}
				return printData(e.out, format, u)
			}
			p := &printer{w: e.out}
			if u == nil || len(u.Days) == 0 {
				p.printf("Function %s/%s has no usage recorded yet (metering writes it at most once a minute; with metering-mode off, never).\n", ns, fn.Name)
				return p.err
			}
			t := newTable(p, "DATE", "REQUESTS", "UNITS", "GB-S", "VCPU-S", "COLD-STARTS", "REFUSED")
			for _, d := range u.Days {
				t.row(d.Date, itoa(d.Requests), itoa(d.Units), d.GBSeconds, d.VCPUSeconds, itoa(d.ColdStarts), itoa(d.Refused))
			}
			t.flush()
			p.printf("Counted through %s (UTC days; units are 100 ms).\n", u.CountedThrough.UTC().Format("2006-01-02T15:04:05Z"))
			return p.err
		},
	})
	return cmd
}

// itoa formats n.
func itoa[N ~int32 | ~int64](n N) string { return strconv.FormatInt(int64(n), 10) }
