package sim

import (
	"testing"

	"kvcache/kvsim/cache"
	"kvcache/kvsim/workload"
	"kvcache/kvsim/workload/workloadtest"
)

// linearTimer is a test StepTimer: a fixed overhead plus a cost per token.
type linearTimer struct{}

func (linearTimer) PrefillSeconds(newTokens, cachedTokens int) float64 {
	return 1e-3 + 1e-4*float64(newTokens) + 1e-7*float64(cachedTokens)
}

func (linearTimer) DecodeSeconds(batch, totalContext int) float64 {
	return 5e-3 + 1e-5*float64(batch) + 1e-8*float64(totalContext)
}

// smallWorkload generates a short synthetic workload.
func smallWorkload(t testing.TB, name string, seed uint64, blockTokens, size int) workload.Workload {
	t.Helper()
	g, err := workload.Default(name)
	if err != nil {
		t.Fatal(err)
	}
	switch g := g.(type) {
	case *workload.SystemPrompt:
		g.Requests, g.Prompts = size, 20
	case *workload.MultiTurn:
		g.Sessions = max(1, size/5)
	case *workload.FewShot:
		g.Requests, g.Tasks = size, 10
	case *workload.RAG:
		g.Requests, g.Documents = size, 200
	}
	w, err := g.Generate(workload.NewRand(seed), blockTokens)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func loadTrace(t testing.TB, name string) *Prepared {
	t.Helper()
	w, _, err := workload.LoadMooncake(workloadtest.Path(t, name), workload.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := Prepare(w)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func mustPrepare(t testing.TB, w workload.Workload) *Prepared {
	t.Helper()
	p, err := Prepare(w)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func mustReplay(t testing.TB, p *Prepared, policy string, capacity int) Summary {
	t.Helper()
	r, err := p.Replay(Config{Policy: policy, CapacityBlocks: capacity})
	if err != nil {
		t.Fatal(err)
	}
	return r.Summary
}

// theoreticalMax counts, independently of the cache, the prefix blocks each
// request shares with any earlier request.
func theoreticalMax(w workload.Workload) (hitBlocks int64) {
	seen := map[cache.BlockHash]bool{}
	for _, r := range w.Requests {
		for _, h := range r.Blocks {
			if !seen[h] {
				break
			}
			hitBlocks++
		}
		for _, h := range r.Blocks {
			seen[h] = true
		}
	}
	return hitBlocks
}
