package sim

import (
	"fmt"
	"math"

	"kvcache/kvsim/cache"
	"kvcache/kvsim/model"
)

// Comparison is a published number beside what kvsim computes for the
// setup its source states. Check is the band the comparison applies; it was
// written before the comparison was first run, except where Note says
// otherwise.
type Comparison struct {
	Published Published `json:"published"`
	Modelled  float64   `json:"modelled"` // in Published.Unit; NaN when skipped
	Ratio     float64   `json:"ratio"`    // Modelled / Published.Value
	How       string    `json:"how"`      // what kvsim ran
	Check     string    `json:"check"`
	Pass      bool      `json:"pass"`
	Skipped   string    `json:"skipped,omitempty"` // why there is no modelled number
	Note      string    `json:"note,omitempty"`
}

// ReferenceInputs is what ComparePublished needs beyond its own data. A nil
// field skips the comparisons that need it.
type ReferenceInputs struct {
	Conversation *Prepared // the Mooncake conversation trace
	Synthetic    *Prepared // the Mooncake synthetic trace
	// Timer returns the cost model's serving timer for a catalog model on a
	// hardware preset split over gpus devices (tensor parallel).
	Timer func(model, hardware string, gpus int) (StepTimer, error)
}

// Hardware stand-ins for the sources' GPUs: the A800 and H800 are the A100
// and H100 SXM with a slower NVLink and the same tensor cores.
const (
	a800Preset = "a100-80gb"
	h800Preset = "h100-sxm"
	h100Preset = "h100-sxm"
)

// ComparePublished holds the tier model against PublishedNumbers: link
// bandwidths against measured transfer rates, KV sizes against the
// sources' capacities, hit rates against the Mooncake paper's capacity and
// global-cache results (with the traces), and load-or-recompute and routing
// against its break-even bandwidth and scheduling results (with the cost
// model). Numbers without a modelled counterpart are listed as skipped.
func ComparePublished(in ReferenceInputs) ([]Comparison, error) {
	var out []Comparison
	add := func(c Comparison) { out = append(out, c) }
	for _, f := range []func(ReferenceInputs, func(Comparison)) error{compareLinks, compareSizes, compareCapacity, compareGlobalCache, compareBreakEven, compareCPULoads, compareScheduling} {
		if err := f(in, add); err != nil {
			return out, err
		}
	}
	add(skipped("lmcache-delay-savings-low", "the README states neither the workload nor the hardware"))
	add(skipped("lmcache-delay-savings-high", "the README states neither the workload nor the hardware"))
	add(skipped("gpustack-lmcache-ttft", "Qwen3-8B is not in the model catalog and the conversations' reuse is not published"))
	return out, nil
}

func compared(id string, modelled float64, how, check string, pass bool) Comparison {
	p := published(id)
	return Comparison{Published: p, Modelled: modelled, Ratio: modelled / p.Value, How: how, Check: check, Pass: pass}
}

func skipped(id, why string) Comparison {
	return Comparison{Published: published(id), Modelled: math.NaN(), Ratio: math.NaN(), Skipped: why}
}

// compareLinks: a measured rate cannot beat the line rate of the links it
// crossed, so each published rate must lie at or below the model's peak;
// their ratio is the efficiency the model's lower-bound load times leave out.
func compareLinks(_ ReferenceInputs, add func(Comparison)) error {
	const check = "published <= modelled peak (a measurement cannot beat the line rate)"
	for _, c := range []struct {
		id, link string
		factor   int // links used at once
		both     bool
	}{
		{"mooncake-transfer-4x200", "4x" + cache.RDMA200Name, 1, false},
		{"mooncake-transfer-8x400", "8x" + cache.RDMA400Name, 1, false},
		{"mooncake-h2d-8xa800", cache.PCIe4Name, 8, false},
		{"vllm-one-direction", cache.PCIe5Name, 1, false},
		{"vllm-bidirectional-dma", cache.PCIe5Name, 1, true},
	} {
		l, err := cache.LookupLink(c.link)
		if err != nil {
			return err
		}
		l = l.Times(c.factor)
		peak := l.BytesPerSecond / 1e9
		how := fmt.Sprintf("%s peak: %.1f GB/s", l.Name, peak)
		if c.both {
			peak *= 2
			how = fmt.Sprintf("%s peak, both directions: %.1f GB/s", l.Name, peak)
		}
		p := published(c.id)
		add(compared(c.id, peak, how, check, p.Value > 0 && p.Value <= peak))
	}
	return nil
}

// compareSizes: the sources' KV sizes against the catalog's models, within
// the gap between decimal and binary units, which the sources do not say.
func compareSizes(_ ReferenceInputs, add func(Comparison)) error {
	cat := model.NewCatalog()
	spec := func(name string) (model.Spec, error) { return cat.Lookup(name) }
	l70, err := spec("llama3-70b")
	if err != nil {
		return fmt.Errorf("sim: %w", err)
	}
	perToken := l70.KVBytesPerToken(model.BF16)
	within := func(got, want, tol float64) bool { return math.Abs(got/want-1) <= tol }
	kib := float64(perToken) / 1024
	add(compared("mooncake-kv-per-token", kib, fmt.Sprintf("llama3-70b bf16: %d B = %.0f KiB per token", perToken, kib),
		"within 2.5% (KB or KiB)", within(kib, 320, 0.025)))
	gib := float64(131072*perToken) / (1 << 30)
	add(compared("mooncake-kv-128k", gib, fmt.Sprintf("131,072 tokens x %d B = %.1f GiB", perToken, gib),
		"within 7.5% (GB or GiB)", within(gib, 40, 0.075)))
	tokens := 1e12 / float64(perToken)
	add(compared("mooncake-1tb-tokens", tokens, fmt.Sprintf("1e12 B / %d B per token", perToken),
		"within 10% (the source says about 1 TB and about 3 million)", within(tokens, 3e6, 0.10)))
	for _, c := range []struct{ id, model string }{{"vllm-block-llama3.1-8b", "llama3.1-8b"}, {"vllm-block-mistral-7b", "mistral-7b"}} {
		s, err := spec(c.model)
		if err != nil {
			return fmt.Errorf("sim: %w", err)
		}
		b, err := cache.BlockBytes(s, model.BF16, 16)
		if err != nil {
			return fmt.Errorf("sim: %w", err)
		}
		mib := float64(b) / (1 << 20)
		add(compared(c.id, mib, fmt.Sprintf("%s bf16, 16 tokens: %d B = %.2f MiB", c.model, b, mib), "within 5% (MB or MiB)", within(mib, 2, 0.05)))
	}
	return nil
}

// mooncakeNodeTokens is the Mooncake paper's cache per node (sec. 5.3).
const mooncakeNodeTokens = 3_000_000

// compareCapacity: Figure 9's hit rate at 3M tokens as a share of the
// maximum, against an LRU replay of the same trace at that capacity.
func compareCapacity(in ReferenceInputs, add func(Comparison)) error {
	const check = "within 10 points (the paper states neither its eviction policy nor its hit-rate definition)"
	for _, c := range []struct {
		id string
		p  *Prepared
	}{{"mooncake-fig9-conversation", in.Conversation}, {"mooncake-fig9-synthetic", in.Synthetic}} {
		if c.p == nil {
			add(skipped(c.id, "trace not given"))
			continue
		}
		blocks := mooncakeNodeTokens / c.p.w.BlockTokens
		at, err := c.p.Replay(Config{CapacityBlocks: blocks, MaxPoints: 1})
		if err != nil {
			return err
		}
		un, err := c.p.Replay(Config{CapacityBlocks: cache.Unbounded, MaxPoints: 1})
		if err != nil {
			return err
		}
		share := 100 * at.Summary.TokenHitRate / un.Summary.TokenHitRate
		how := fmt.Sprintf("LRU replay at %d blocks of %d tokens: token hit rate %.1f%% of the unbounded %.1f%%", blocks, c.p.w.BlockTokens,
			100*at.Summary.TokenHitRate, 100*un.Summary.TokenHitRate)
		add(compared(c.id, share, how, check, math.Abs(share-published(c.id).Value) <= 10))
	}
	return nil
}

// referenceNodeTiers models a Mooncake node's 3M-token cache as the tier
// below a one-block GPU tier, so every reused block comes from it.
func referenceNodeTiers() []cache.TierSpec {
	return []cache.TierSpec{{Medium: cache.HBM, Blocks: 1}, {Medium: cache.DRAM, Tokens: mooncakeNodeTokens, Link: cache.DefaultLink(cache.DRAM)}}
}

// compareGlobalCache: Figure 10's global/local hit-rate ratio, against ten
// instances whose 3M-token caches are private (local) or one shared store
// (global).
func compareGlobalCache(in ReferenceInputs, add func(Comparison)) error {
	for _, c := range []struct {
		id string
		p  *Prepared
	}{{"mooncake-fig10-conversation", in.Conversation}, {"mooncake-fig10-synthetic", in.Synthetic}} {
		if c.p == nil {
			add(skipped(c.id, "trace not given"))
			continue
		}
		ratioFor := func(router string) (float64, error) {
			var rates [2]float64
			for k, shared := range []bool{false, true} {
				r, err := c.p.ReplayTiered(TieredConfig{Tiers: referenceNodeTiers(), Instances: 10, Shared: shared, Router: router, MaxPoints: 1})
				if err != nil {
					return 0, err
				}
				rates[k] = r.Summary.TokenHitRate
			}
			return rates[1] / rates[0], nil
		}
		affinity, err := ratioFor(CacheAware)
		if err != nil {
			return err
		}
		scattered, err := ratioFor(RoundRobin)
		if err != nil {
			return err
		}
		pub := published(c.id).Value
		cmp := compared(c.id, affinity, "10 instances, 3M tokens each, cache-aware routing without timing: shared / private token hit rate",
			"above 1 and within a factor 1.5", affinity > 1 && affinity*1.5 >= pub && affinity <= 1.5*pub)
		cmp.Note = "the router, blind to load, keeps each conversation on one instance, so private caches lose little; the paper's scheduler trades cache affinity for queueing (its Algorithm 1), which this untimed replay does not"
		add(cmp)
		bracket := compared(c.id, scattered, "as above with round-robin routing (no affinity): shared / private token hit rate",
			"published between the cache-aware and the round-robin ratios", affinity <= pub && pub <= scattered)
		bracket.Note = "this bracket was added after the check above failed; it says the paper's local scheduler sits between full affinity and none"
		add(bracket)
	}
	return nil
}

// compareBreakEven: Equation 2's least loading bandwidth, against the
// bandwidth at which loading a prefix of p tokens takes as long as the
// prefill it saves in the cost model:
//
//	B* = p x KV bytes per token / (prefill(p+1, 0) - prefill(1, p))
func compareBreakEven(in ReferenceInputs, add func(Comparison)) error {
	for _, c := range []struct{ id, hw string }{{"mooncake-eq2-a800", a800Preset}, {"mooncake-eq2-h800", h800Preset}} {
		if in.Timer == nil {
			add(skipped(c.id, "no cost model given"))
			continue
		}
		b, err := BreakEvenBandwidth(in.Timer, "llama3-70b", c.hw, 8, 8192)
		if err != nil {
			return err
		}
		pub := published(c.id).Value
		add(compared(c.id, b/1e9, fmt.Sprintf("cost model, llama3-70b bf16 on 8 x %s, prefix 8192 tokens", c.hw),
			"within a factor 3 (Equation 2 counts FLOPs at peak, the cost model the roofline with efficiencies)", b/1e9 <= 3*pub && 3*b/1e9 >= pub))
	}
	return nil
}

// BreakEvenBandwidth is the loading bandwidth (bytes/s, all devices
// together) at which loading the KV cache of a prefix of prefix tokens
// takes exactly the prefill time it saves, for a catalog model on a
// hardware preset over gpus devices: p x KV bytes per token / (prefill(p+1,
// 0) - prefill(1, p)). Faster links make loading pay.
func BreakEvenBandwidth(timer func(model, hardware string, gpus int) (StepTimer, error), modelName, hardware string, gpus, prefix int) (float64, error) {
	spec, err := model.NewCatalog().Lookup(modelName)
	if err != nil {
		return 0, fmt.Errorf("sim: %w", err)
	}
	t, err := timer(modelName, hardware, gpus)
	if err != nil {
		return 0, err
	}
	saved := t.PrefillSeconds(prefix+1, 0) - t.PrefillSeconds(1, prefix)
	if !(saved > 0) {
		return 0, fmt.Errorf("sim: break-even bandwidth of %s on %s: reusing %d tokens saves %g s of prefill, nothing to trade", modelName, hardware, prefix, saved)
	}
	return float64(int64(prefix)*spec.KVBytesPerToken(model.BF16)) / saved, nil
}

// compareCPULoads: vLLM's TTFT gain from loading a prompt's KV from CPU
// memory instead of recomputing it, against the cost model with the pcie5
// link: prefill(P, 0) / (load(P - 1 tokens) + prefill(1, P - 1)), at the
// smallest and largest prompt sizes the post's text names (1K and 90K).
func compareCPULoads(in ReferenceInputs, add func(Comparison)) error {
	cases := []struct {
		id     string
		prompt int
	}{{"vllm-ttft-low", 1024}, {"vllm-ttft-high", 90000}}
	if in.Timer == nil {
		for _, c := range cases {
			add(skipped(c.id, "no cost model given"))
		}
		return nil
	}
	spec, err := model.NewCatalog().Lookup("llama3.1-8b")
	if err != nil {
		return fmt.Errorf("sim: %w", err)
	}
	t, err := in.Timer("llama3.1-8b", h100Preset, 1)
	if err != nil {
		return err
	}
	pcie := cache.DefaultLink(cache.DRAM)
	for _, c := range cases {
		p := c.prompt
		load := pcie.Seconds(int64(p-1) * spec.KVBytesPerToken(model.BF16))
		gain := t.PrefillSeconds(p, 0) / (load + t.PrefillSeconds(1, p-1))
		add(compared(c.id, gain, fmt.Sprintf("cost model, llama3.1-8b on one %s, %d-token prompt, KV loaded over %s", h100Preset, p, pcie.Name),
			"within the published 2x-22x range", gain >= published("vllm-ttft-low").Value && gain <= published("vllm-ttft-high").Value))
	}
	return nil
}

// compareScheduling: Figure 5's mean TTFT by scheduler, against the
// prefill-queue model on the conversation trace with 16 instances whose
// 3M-token caches are private, or shared across a 4 x 200 Gb/s fabric for
// the global scheduler. Only the order is checked: the paper does not say
// how fast it replayed the trace, and TTFT depends on the load.
func compareScheduling(in ReferenceInputs, add func(Comparison)) error {
	ids := []string{"mooncake-fig5-random", "mooncake-fig5-load-balancing", "mooncake-fig5-local-cache-aware", "mooncake-fig5-global-cache-aware"}
	if in.Conversation == nil || in.Timer == nil {
		for _, id := range ids {
			add(skipped(id, "needs the conversation trace and the cost model"))
		}
		return nil
	}
	t, err := in.Timer("llama3-70b", a800Preset, 8)
	if err != nil {
		return err
	}
	spec, err := model.NewCatalog().Lookup("llama3-70b")
	if err != nil {
		return fmt.Errorf("sim: %w", err)
	}
	bpb, err := cache.BlockBytes(spec, model.BF16, in.Conversation.w.BlockTokens)
	if err != nil {
		return fmt.Errorf("sim: %w", err)
	}
	fabric, err := cache.LookupLink("4x" + cache.RDMA200Name)
	if err != nil {
		return err
	}
	runs := []struct {
		router string
		shared bool
	}{{RandomRoute, false}, {LeastLoaded, false}, {MinTTFT, false}, {MinTTFT, true}}
	means := make([]float64, len(runs))
	for k, run := range runs {
		cfg := TieredConfig{Tiers: referenceNodeTiers(), Instances: 16, Router: run.router, Shared: run.shared, BytesPerBlock: bpb, Timer: t, MaxPoints: 1, Seed: 1}
		if run.shared {
			cfg.Fabric = fabric
		}
		r, err := in.Conversation.ReplayTiered(cfg)
		if err != nil {
			return err
		}
		means[k] = r.TTFT.Tiered.Mean
	}
	ordered := means[0] >= means[1] && means[1] >= means[2] && means[2] >= means[3]
	for k, id := range ids {
		how := fmt.Sprintf("16 instances, %s routing, %s 3M-token caches, llama3-70b on 8 x %s, trace at its own pace: mean TTFT %.3f s",
			runs[k].router, map[bool]string{false: "private", true: "shared"}[runs[k].shared], a800Preset, means[k])
		add(compared(id, means[k], how, "the four schedulers in the paper's order (random >= load balancing >= local >= global cache-aware)", ordered))
	}
	return nil
}
