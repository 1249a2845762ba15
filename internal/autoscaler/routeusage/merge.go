package routeusage

import (
	"cmp"
	"slices"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
)

// Merge returns prev (nil: none) with day's counts raised to at least
// sums: each rule's and client's counts are the larger of the two, so that
// what the status had from before this controller's start is kept, and a
// count never goes back. Days stay latest first, at most
// servingv1alpha1.MaxUsageDays, and each rule lists its
// servingv1alpha1.MaxUsageClients busiest clients.
func Merge(prev *servingv1alpha1.RouteUsage, day string, sums map[Key]Counts) *servingv1alpha1.RouteUsage {
	out := &servingv1alpha1.RouteUsage{}
	if prev != nil {
		out.Days = slices.Clone(prev.Days)
	}
	i := slices.IndexFunc(out.Days, func(d servingv1alpha1.UsageDay) bool { return d.Date == day })
	var old servingv1alpha1.UsageDay
	if i >= 0 {
		old = out.Days[i]
		out.Days = slices.Delete(out.Days, i, i+1)
	}
	out.Days = append(out.Days, mergeDay(old, day, sums))
	slices.SortFunc(out.Days, func(a, b servingv1alpha1.UsageDay) int { return cmp.Compare(b.Date, a.Date) })
	if len(out.Days) > servingv1alpha1.MaxUsageDays {
		out.Days = out.Days[:servingv1alpha1.MaxUsageDays]
	}
	return out
}

// mergeDay merges one day's status with sums.
func mergeDay(old servingv1alpha1.UsageDay, day string, sums map[Key]Counts) servingv1alpha1.UsageDay {
	rules := map[int32]Counts{}
	clients := map[int32]map[string]Counts{}
	raise := func(rule int32, client string, c Counts) {
		if client == "" {
			r := rules[rule]
			r.atLeast(c)
			rules[rule] = r
			return
		}
		if clients[rule] == nil {
			clients[rule] = map[string]Counts{}
		}
		if _, listed := rules[rule]; !listed {
			rules[rule] = Counts{} // a rule's clients make it listed
		}
		cc := clients[rule][client]
		cc.atLeast(c)
		clients[rule][client] = cc
	}
	for _, r := range old.Rules {
		raise(r.Rule, "", Counts{Classes: classesOf(r.Requests), Limited: r.RateLimited})
		for _, c := range r.Clients {
			raise(r.Rule, c.Client, Counts{Classes: classesOf(c.Requests)})
		}
	}
	for k, c := range sums {
		raise(k.Rule, k.Client, c)
	}
	out := servingv1alpha1.UsageDay{Date: day}
	for rule, c := range rules {
		ru := servingv1alpha1.RuleUsage{Rule: rule, Requests: statusOf(c.Classes), RateLimited: c.Limited}
		for id, cc := range clients[rule] {
			ru.Clients = append(ru.Clients, servingv1alpha1.ClientUsage{Client: id, Requests: statusOf(cc.Classes)})
		}
		slices.SortFunc(ru.Clients, func(a, b servingv1alpha1.ClientUsage) int {
			return cmp.Or(cmp.Compare(total(b.Requests), total(a.Requests)), cmp.Compare(a.Client, b.Client))
		})
		if len(ru.Clients) > servingv1alpha1.MaxUsageClients {
			ru.Clients = ru.Clients[:servingv1alpha1.MaxUsageClients]
		}
		out.Rules = append(out.Rules, ru)
	}
	slices.SortFunc(out.Rules, func(a, b servingv1alpha1.RuleUsage) int { return cmp.Compare(a.Rule, b.Rule) })
	return out
}

func classesOf(s servingv1alpha1.StatusClassCounts) [5]int64 {
	return [5]int64{s.Informational, s.Success, s.Redirection, s.ClientError, s.ServerError}
}

func statusOf(c [5]int64) servingv1alpha1.StatusClassCounts {
	return servingv1alpha1.StatusClassCounts{Informational: c[0], Success: c[1], Redirection: c[2], ClientError: c[3], ServerError: c[4]}
}

func total(s servingv1alpha1.StatusClassCounts) int64 {
	return s.Informational + s.Success + s.Redirection + s.ClientError + s.ServerError
}
