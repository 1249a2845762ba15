package main

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
)

// ownedChainPrefixes are the iptables chains the cluster's components create:
// kube-proxy and kubelet (KUBE-) and the CNI portmap plugin (CNI-). No other
// software on these machines uses them.
var ownedChainPrefixes = []string{"KUBE-", "CNI-"}

// RemoveOwnedChains deletes, in every table of iptables and ip6tables, the
// rules that jump to an owned chain and then the owned chains themselves.
// It cleans what `kube-proxy --cleanup` leaves (kubelet's canary chains,
// portmap's chains).
func RemoveOwnedChains(ctx context.Context) error {
	var errs []error
	for _, family := range []string{"iptables", "ip6tables"} {
		if err := removeOwnedChains(ctx, family); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func removeOwnedChains(ctx context.Context, family string) error {
	out, err := exec.CommandContext(ctx, family+"-save").Output()
	if err != nil {
		return fmt.Errorf("%s-save: %w", family, err)
	}
	var errs []error
	for table, dump := range splitTables(string(out)) {
		var chains []string
		for _, line := range dump {
			if strings.HasPrefix(line, ":") {
				name := strings.Fields(line[1:])[0]
				if owned(name) {
					chains = append(chains, name)
				}
			}
		}
		// Rules in built-in chains that jump to owned chains.
		for _, line := range dump {
			if !strings.HasPrefix(line, "-A ") {
				continue
			}
			args := splitRule(line)
			if len(args) < 2 || owned(args[1]) || !jumpsToOwned(args) {
				continue
			}
			del := append([]string{"-t", table, "-D"}, args[1:]...)
			if out, err := exec.CommandContext(ctx, family, del...).CombinedOutput(); err != nil {
				errs = append(errs, fmt.Errorf("%s %s: %w: %s", family, strings.Join(del, " "), err, strings.TrimSpace(string(out))))
			}
		}
		for _, op := range []string{"-F", "-X"} {
			for _, chain := range chains {
				if out, err := exec.CommandContext(ctx, family, "-t", table, op, chain).CombinedOutput(); err != nil {
					errs = append(errs, fmt.Errorf("%s -t %s %s %s: %w: %s", family, table, op, chain, err, strings.TrimSpace(string(out))))
				}
			}
		}
	}
	return errors.Join(errs...)
}

func owned(chain string) bool {
	for _, p := range ownedChainPrefixes {
		if strings.HasPrefix(chain, p) {
			return true
		}
	}
	return false
}

func jumpsToOwned(args []string) bool {
	for i := 0; i+1 < len(args); i++ {
		if (args[i] == "-j" || args[i] == "-g") && owned(args[i+1]) {
			return true
		}
	}
	return false
}

// splitTables groups iptables-save output by table.
func splitTables(dump string) map[string][]string {
	tables := map[string][]string{}
	table := ""
	for _, line := range strings.Split(dump, "\n") {
		switch {
		case strings.HasPrefix(line, "*"):
			table = strings.TrimPrefix(line, "*")
		case table != "" && (strings.HasPrefix(line, ":") || strings.HasPrefix(line, "-A ")):
			tables[table] = append(tables[table], line)
		}
	}
	return tables
}

// splitRule splits an iptables-save rule into arguments, honouring the
// double quotes iptables-save puts around comments.
func splitRule(line string) []string {
	var args []string
	var cur strings.Builder
	inQuote, escaped, started := false, false, false
	for _, r := range line {
		switch {
		case escaped:
			cur.WriteRune(r)
			escaped = false
		case r == '\\':
			escaped = true
		case r == '"':
			inQuote = !inQuote
			started = true
		case r == ' ' && !inQuote:
			if started {
				args = append(args, cur.String())
				cur.Reset()
				started = false
			}
		default:
			cur.WriteRune(r)
			started = true
		}
	}
	if started {
		args = append(args, cur.String())
	}
	return args
}
