package study

import "kvcache/kvsim/model"

// GridModels names the serving models of section 5's picker besides the
// lab's: a small GQA model (llama3-8b, 128 KiB of KV per token at fp16)
// and an MHA one (llama2-13b, 800 KiB), so a gigabyte of cache holds
// another number of tokens under each.
func GridModels() []string { return []string{"llama3-8b", "llama2-13b"} }

// Workloads are the workload picker of section 5: the four generators of
// kvsim/workload drawn from the picks' seed, and the picked trace when
// there is one.
func (l *Lab) Workloads() []Source {
	ws := SyntheticWorkloads(l.Picks.Seed)
	if l.Picks.Trace != "" {
		ws = append(ws, l.Picks.Source())
	}
	return ws
}

// Models are the catalog's specs of the names given, in order, skipping
// unknown and repeated names.
func (l *Lab) Models(names ...string) []model.Spec { return l.chosen(names...) }

// CacheGrid is what section 5's pickers offer with these picks: every
// workload, DefaultGridBlockSizes, DefaultGridPolicies, and the serving
// model with GridModels; as many capacity positions as the single slider
// has, up to 16, and series of up to 60 points.
func (l *Lab) CacheGrid() *CacheGrid {
	sz := l.Sizes.withDefaults()
	return &CacheGrid{Workloads: l.Workloads(), BlockSizes: DefaultGridBlockSizes(), Policies: DefaultGridPolicies(),
		Models: l.Models(append([]string{l.Serving.Name}, GridModels()...)...),
		Points: min(16, sz.CapacityPoints), SeriesPoints: min(60, sz.SeriesPoints)}
}
