package kubectlwake

import (
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"knative.dev/pkg/apis"
	"sigs.k8s.io/controller-runtime/pkg/client"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
)

// triggerDependents decide a KafkaTrigger's Ready.
var triggerDependents = []apis.ConditionType{
	servingv1alpha1.KafkaTriggerConditionBrokerReachable,
	servingv1alpha1.KafkaTriggerConditionConsumerGroupJoined,
	servingv1alpha1.KafkaTriggerConditionFunctionReady,
}

// TriggerRow is one KafkaTrigger as `triggers` lists it.
type TriggerRow struct {
	Namespace string   `json:"namespace"`
	Name      string   `json:"name"`
	Function  string   `json:"function"`
	Topics    []string `json:"topics"`
	Lag       int64    `json:"lag"`
	Ready     string   `json:"ready"`
	Reason    string   `json:"reason,omitempty"`
	// Delivering is the Delivering condition's status: False while a
	// message keeps failing.
	Delivering string `json:"delivering"`
}

// TriggerLag is what `trigger lag` shows of one KafkaTrigger.
type TriggerLag struct {
	TriggerRow    `json:",inline"`
	ConsumerGroup string `json:"consumerGroup,omitempty"`
	// Why says in one sentence why it is not ready, or that it is.
	Why      string   `json:"why"`
	Warnings []string `json:"warnings,omitempty"`
	// Partitions are the lag of each partition, the furthest behind
	// first (the status keeps the 100 furthest behind).
	Partitions []servingv1alpha1.KafkaPartitionStatus `json:"partitions"`
}

// newTriggersCommand returns `triggers`.
func newTriggersCommand(e *env) *cobra.Command {
	var format string
	var all bool
	cmd := &cobra.Command{
		Use:     "triggers",
		Aliases: []string{"kafkatriggers", "kt"},
		Short:   "KafkaTriggers with their Function, topics, lag and readiness",
		Example: `  kubectl wake triggers
  kubectl wake triggers -A`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			c, ns, err := e.setup()
			if err != nil {
				return err
			}
			var opts []client.ListOption
			if !all {
				opts = append(opts, client.InNamespace(ns))
			}
			list := &servingv1alpha1.KafkaTriggerList{}
			if err := c.List(cmd.Context(), list, opts...); err != nil {
				return listErr(err, "kafkatriggers")
			}
			rows := make([]TriggerRow, 0, len(list.Items))
			for i := range list.Items {
				rows = append(rows, triggerRow(&list.Items[i]))
			}
			sort.Slice(rows, func(i, j int) bool {
				if rows[i].Namespace != rows[j].Namespace {
					return rows[i].Namespace < rows[j].Namespace
				}
				return rows[i].Name < rows[j].Name
			})
			if format != formatText {
				return printData(e.out, format, rows)
			}
			p := &printer{w: e.out}
			printTriggers(p, rows, all, ns)
			return p.err
		},
	}
	cmd.Flags().BoolVarP(&all, "all-namespaces", "A", false, "list the triggers of every namespace")
	addOutputFlag(cmd, &format)
	return cmd
}

// newTriggerCommand returns `trigger lag NAME`.
func newTriggerCommand(e *env) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:     "trigger",
		Aliases: []string{"kafkatrigger"},
		Short:   "One KafkaTrigger: lag NAME shows its lag per partition",
	}
	addOutputFlag(cmd, &format)
	cmd.AddCommand(&cobra.Command{
		Use:   "lag NAME",
		Short: "One KafkaTrigger's lag per partition, the furthest behind first",
		Long: `Show how far one KafkaTrigger is behind: the messages produced to each
partition of its topics and not yet committed by its consumer group (the
group's committed offset, the partition's end offset, and the difference),
the furthest behind first, with why the trigger is not ready if it is not.
The dispatcher's leader writes it every 5 seconds; the status keeps the 100
partitions furthest behind.`,
		Example: `  kubectl wake trigger lag orders
  kubectl wake trigger lag orders -o json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			c, ns, err := e.setup()
			if err != nil {
				return err
			}
			kt := &servingv1alpha1.KafkaTrigger{}
			if err := c.Get(cmd.Context(), client.ObjectKey{Namespace: ns, Name: args[0]}, kt); err != nil {
				return readErr(err, "kafkatrigger", ns, args[0])
			}
			lag := triggerLag(kt)
			if format != formatText {
				return printData(e.out, format, lag)
			}
			p := &printer{w: e.out}
			printTriggerLag(p, lag)
			return p.err
		},
	})
	return cmd
}

// triggerRow is kt's row.
func triggerRow(kt *servingv1alpha1.KafkaTrigger) TriggerRow {
	ready := kt.Status.GetCondition(apis.ConditionReady)
	row := TriggerRow{
		Namespace: kt.Namespace, Name: kt.Name, Function: kt.Spec.Function, Lag: kt.Status.Lag,
		Ready:      conditionStatus(ready),
		Delivering: conditionStatus(kt.Status.GetCondition(servingv1alpha1.KafkaTriggerConditionDelivering)),
	}
	for _, t := range kt.Spec.Topics {
		row.Topics = append(row.Topics, string(t))
	}
	if ready != nil && !ready.IsTrue() {
		row.Reason = decidingCondition(&kt.Status.Status, triggerDependents).Reason
	}
	return row
}

// triggerLag is what `trigger lag` shows of kt.
func triggerLag(kt *servingv1alpha1.KafkaTrigger) *TriggerLag {
	l := &TriggerLag{
		TriggerRow: triggerRow(kt), ConsumerGroup: kt.Status.ConsumerGroup,
		Why:        TriggerWhy(kt),
		Warnings:   warnings("", &kt.Status.Status),
		Partitions: append([]servingv1alpha1.KafkaPartitionStatus{}, kt.Status.Partitions...),
	}
	if c := kt.Status.GetCondition(servingv1alpha1.KafkaTriggerConditionDevelopmentBroker); c.IsTrue() {
		// True is the warning here: the development broker keeps one copy.
		l.Warnings = append(l.Warnings, sentence(string(c.Type)+" is True: "+reasonMessage(c)))
	}
	sort.SliceStable(l.Partitions, func(i, j int) bool {
		a, b := l.Partitions[i], l.Partitions[j]
		if a.Lag != b.Lag {
			return a.Lag > b.Lag
		}
		if a.Topic != b.Topic {
			return a.Topic < b.Topic
		}
		return a.Partition < b.Partition
	})
	return l
}

// TriggerWhy says in one sentence why kt is not ready, or that it is.
func TriggerWhy(kt *servingv1alpha1.KafkaTrigger) string {
	s := &kt.Status.Status
	if p := pending(s, kt.Generation, "KafkaTrigger", kt.Name); p != "" {
		return p
	}
	if s.GetCondition(apis.ConditionReady).IsTrue() {
		return fmt.Sprintf("KafkaTrigger %s is ready: it delivers to Function %s.", kt.Name, kt.Spec.Function)
	}
	c := decidingCondition(s, triggerDependents)
	if c.Type == apis.ConditionReady {
		return sentence("it is not ready: " + reasonMessage(c))
	}
	return sentence(fmt.Sprintf("%s is %s: %s", c.Type, c.Status, reasonMessage(c)))
}

// printTriggers writes rows, with their namespace when all.
func printTriggers(p *printer, rows []TriggerRow, all bool, ns string) {
	if len(rows) == 0 {
		where := "in namespace " + ns
		if all {
			where = "in any namespace"
		}
		p.printf("No KafkaTriggers %s.\n", where)
		return
	}
	headers := []string{"NAME", "FUNCTION", "TOPICS", "LAG", "READY", "REASON", "DELIVERING"}
	if all {
		headers = append([]string{"NAMESPACE"}, headers...)
	}
	t := newTable(p, headers...)
	for _, r := range rows {
		cells := []string{r.Name, r.Function, strings.Join(r.Topics, ","), itoa(r.Lag), r.Ready, r.Reason, r.Delivering}
		if all {
			cells = append([]string{r.Namespace}, cells...)
		}
		t.row(cells...)
	}
	t.flush()
}

// printTriggerLag writes l for people.
func printTriggerLag(p *printer, l *TriggerLag) {
	p.printf("KafkaTrigger %s/%s  topics %s -> function %s", l.Namespace, l.Name, strings.Join(l.Topics, ","), l.Function)
	if l.ConsumerGroup != "" {
		p.printf("  (group %s)", l.ConsumerGroup)
	}
	p.printf("\nReady:   %s\nWhy:     %s\n", l.Ready, l.Why)
	for _, warn := range l.Warnings {
		p.printf("Warning: %s\n", warn)
	}
	p.printf("Lag:     %d messages\n\n", l.Lag)
	if len(l.Partitions) == 0 {
		p.println("No partition reported yet.")
		return
	}
	t := newTable(p, "TOPIC", "PARTITION", "COMMITTED", "END", "LAG")
	for _, part := range l.Partitions {
		committed := itoa(part.Committed)
		if part.Committed < 0 {
			committed = "none"
		}
		t.row(part.Topic, itoa(part.Partition), committed, itoa(part.End), itoa(part.Lag))
	}
	t.flush()
	if len(l.Partitions) == servingv1alpha1.MaxKafkaPartitionsInStatus {
		p.printf("The status keeps the %d partitions furthest behind; others may lag less.\n", servingv1alpha1.MaxKafkaPartitionsInStatus)
	}
}
