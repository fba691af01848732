package decoder

import (
	"runtime"
	"testing"

	"kvcache/kvsim/kernels"
	"kvcache/kvsim/model"
)

// Every tensor's allocation matches its shape comment, and the weights add
// up to model.Spec.Params exactly: the two packages count the same model.
func TestWeightShapesMatchAllocationsAndParamCount(t *testing.T) {
	specs := testSpecs()
	for _, name := range []string{"gpt-tiny", "gpt-mini", "llama-tiny", "llama-15m"} {
		specs = append(specs, catalogSpec(t, name))
	}
	for _, spec := range specs {
		h, err := newShape(spec)
		if err != nil {
			t.Fatal(err)
		}
		w := allocWeights(h)
		var total int64
		for _, tn := range w.tensors(h) {
			if got, want := len(*tn.data), numel(tn.shape); got != want {
				t.Errorf("%s %s: %d values allocated, shape %v holds %d", spec.Name, tn.name, got, tn.shape, want)
			}
			total += int64(len(*tn.data))
		}
		if want := spec.Params().Total; total != want {
			t.Errorf("%s: %d weights, model.Params says %d", spec.Name, total, want)
		}
		if spec.TiedEmbeddings && &w.LMHead[0] != &w.TokenEmbedding[0] {
			t.Errorf("%s: tied LM head is a copy", spec.Name)
		}
		if len(w.LMHead) != spec.Vocab*spec.DModel {
			t.Errorf("%s: LM head holds %d values", spec.Name, len(w.LMHead))
		}
	}
}

func TestRunStateShapesMatchAllocations(t *testing.T) {
	for _, spec := range testSpecs() {
		h, _ := newShape(spec)
		const rows, positions, threads = 7, 11, 3
		s := newRunState(&h, rows, positions, threads, 10000)
		var bytes int64
		for _, b := range s.buffers(&h, threads) {
			if got, want := len(*b.data), numel(b.shape); got != want {
				t.Errorf("%s %s: %d values, shape %v holds %d", spec.Name, b.name, got, b.shape, want)
			}
			if !kernels.IsAligned(*b.data) {
				t.Errorf("%s %s: not aligned", spec.Name, b.name)
			}
			bytes += int64(len(*b.data)) * 4
		}
		if want := runStateBytes(&h, rows, positions, threads); bytes != want {
			t.Errorf("%s: run state holds %d bytes, runStateBytes says %d", spec.Name, bytes, want)
		}
	}
}

// The bytes the cache says it holds are the bytes the Go heap grew by, and
// both equal model.Spec.KVBytes: counted, allocated and modelled agree.
func TestKVBytesMatchHeapGrowth(t *testing.T) {
	for _, name := range []string{"gpt-tiny", "llama-tiny"} {
		spec := catalogSpec(t, name)
		h, _ := newShape(spec)
		const capacity = 400
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		c := newKVCache(&h, capacity, 0, Recompute)
		runtime.ReadMemStats(&after)
		grew := int64(after.HeapAlloc) - int64(before.HeapAlloc)
		want := spec.KVBytes(capacity, model.FP32)
		if c.allocatedBytes() != want {
			t.Errorf("%s: cache allocates %d bytes, model.KVBytes says %d", name, c.allocatedBytes(), want)
		}
		// within 1%: other tests' garbage may be swept meanwhile
		if diff := grew - want; diff < -want/100 || diff > want/100 {
			t.Errorf("%s: heap grew %d bytes for a cache of %d", name, grew, want)
		}
		c.n = capacity
		if c.heldBytes() != want {
			t.Errorf("%s: full cache holds %d bytes, want %d", name, c.heldBytes(), want)
		}
		runtime.KeepAlive(c)
	}
}

// A full-cache generation peaks at the K/V of every position it fed.
func TestGenerationKVBytesPeak(t *testing.T) {
	spec := testSpecs()[2] // GQA
	d := newTestDecoder(t, spec, 1)
	g := generate(t, d, randomPrompt(spec.Vocab, 5, 1), 8, full)
	if want := spec.KVBytes(5+8-1, model.FP32); g.KVBytesPeak != want || g.KVBytesAllocated != want {
		t.Errorf("peak %d allocated %d, want %d", g.KVBytesPeak, g.KVBytesAllocated, want)
	}
}

// Decode steps allocate nothing, with or without a cache.
func TestNextAllocatesNothing(t *testing.T) {
	for _, spec := range []model.Spec{testSpecs()[0], testSpecs()[2]} {
		d := newTestDecoder(t, spec, 2)
		for _, c := range []CacheConfig{full, {}, {Enabled: true, Capacity: 3, Policy: Recompute}, {Enabled: true, Capacity: 6, Policy: Window, Sinks: 2}} {
			s, err := d.NewSession(40, c)
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := s.Prefill([]int{1, 2, 3}); err != nil {
				t.Fatal(err)
			}
			tok := 0
			allocs := testing.AllocsPerRun(20, func() {
				logits, _, err := s.Next(tok)
				if err != nil {
					t.Fatal(err)
				}
				tok = argmax(logits)
			})
			if allocs != 0 {
				t.Errorf("%s cache %+v: Next allocates %v times", spec.Name, c, allocs)
			}
		}
	}
}
