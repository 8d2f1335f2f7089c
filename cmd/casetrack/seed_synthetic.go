package main

import (
	"context"
	"fmt"
	"time"

	"casetrack/workflow/synthetic"
)

// seedSyntheticCommand adds realistic cases for benchmarks, in one transaction.
func seedSyntheticCommand(ctx context.Context, e env, args []string) error {
	fs := newFlagSet("seed synthetic")
	cases := fs.Int("cases", 0, "how many cases to add (required)")
	departments := fs.Int("departments", 4, "how many departments share the work; missing ones are created")
	seed := fs.Uint64("seed", 1, "random seed, for reproducible data")
	cfg, err := parseFlags(fs, args, e)
	if err != nil {
		return err
	}
	if *cases <= 0 {
		return usageErrorf("--cases must be a positive number")
	}
	if *departments <= 0 {
		return usageErrorf("--departments must be a positive number")
	}
	return withBackend(ctx, cfg, func(b *backend) error {
		res, err := synthetic.Seed(ctx, b.db, synthetic.Options{Cases: *cases, Departments: *departments,
			RefPrefix: cfg.RefPrefix, Location: cfg.Location, Now: time.Now(), Seed: *seed,
			RebuildIndexes: *cases >= synthetic.RebuildIndexesFrom})
		if err != nil {
			return fmt.Errorf("adding synthetic cases: %s", reason(err))
		}
		fmt.Fprintf(e.stdout, "added %d cases, %d assignments, %d events in %s (%.0f cases/s)\n",
			res.Cases, res.Assignments, res.Events, res.Elapsed.Round(time.Millisecond), float64(res.Cases)/res.Elapsed.Seconds())
		return nil
	})
}
