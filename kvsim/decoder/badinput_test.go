package decoder

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"kvcache/kvsim/model"
)

// Every bad input is an error that names the problem; none panics.
func TestBadInputsAreClearErrors(t *testing.T) {
	tiny := testSpecs()[1]
	big := catalogSpec(t, "gpt3-175b")
	cases := []struct {
		name string
		spec model.Spec
		opt  BenchOptions
		want string
	}{
		{"beyond context", tiny, BenchOptions{Prompt: 60, New: 10}, "exceed model test-llama-mha's context of 64"},
		{"negative prompt", tiny, BenchOptions{Prompt: -1, New: 4}, "at least 1"},
		{"negative new", tiny, BenchOptions{Prompt: 4, New: -3}, "at least 1"},
		{"too big for RAM", big, BenchOptions{Prompt: 4, New: 4}, "needs"},
		{"too big for the given RAM", tiny, BenchOptions{Prompt: 4, New: 4, MemAvailable: 1000}, "only 1000 B is available"},
		{"negative capacity", tiny, BenchOptions{Prompt: 4, New: 4, CacheTokens: -2}, "must be positive"},
		{"unknown policy", tiny, BenchOptions{Prompt: 4, New: 8, CacheTokens: 4, Policy: "lru"}, `unknown cache policy "lru"`},
		{"bounded without policy", tiny, BenchOptions{Prompt: 4, New: 8, CacheTokens: 4}, "needs a policy"},
		{"sinks fill the window", tiny, BenchOptions{Prompt: 4, New: 8, CacheTokens: 4, Policy: Window, Sinks: 4}, "sinks must be"},
		{"unknown cache mode", tiny, BenchOptions{Cache: "maybe"}, `unknown cache mode "maybe"`},
		{"missing weights", tiny, BenchOptions{Prompt: 4, New: 4, WeightsFile: "/nonexistent/w.safetensors"}, "no such file"},
		{"unsupported MoE", catalogSpec(t, "mixtral-8x7b"), BenchOptions{Prompt: 4, New: 4, MemAvailable: 1 << 62}, "mixture-of-experts"},
		{"unsupported MoE and MLA", catalogSpec(t, "deepseek-v3"), BenchOptions{Prompt: 4, New: 4, MemAvailable: 1 << 62}, "does not implement"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Run(c.spec, c.opt)
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "decoder: ") {
				t.Errorf("error %v, want one starting decoder: and mentioning %q", err, c.want)
			}
		})
	}
}

func TestBadSessionAndTokenInputs(t *testing.T) {
	d := newTestDecoder(t, testSpecs()[0], 1)
	if _, err := d.Generate(GenerateOptions{Prompt: nil, NewTokens: 3}); err == nil {
		t.Error("empty prompt accepted")
	}
	if _, err := d.Generate(GenerateOptions{Prompt: []int{1}, NewTokens: 0}); err == nil {
		t.Error("zero new tokens accepted")
	}
	if _, err := d.Generate(GenerateOptions{Prompt: []int{1, 500}, NewTokens: 2}); err == nil || !strings.Contains(err.Error(), "outside the vocabulary") {
		t.Errorf("token beyond the vocabulary: %v", err)
	}
	if _, err := d.Generate(GenerateOptions{Prompt: []int{1}, NewTokens: 4, Force: []int{1}}); err == nil {
		t.Error("too few forced tokens accepted")
	}
	if _, err := d.NewSession(0, full); err == nil {
		t.Error("session of 0 tokens accepted")
	}
	if _, err := d.NewSession(65, full); err == nil {
		t.Error("session beyond the context accepted")
	}
	s, _ := d.NewSession(2, full)
	if _, _, err := s.Next(1); err == nil {
		t.Error("Next before Prefill accepted")
	}
	s.Prefill([]int{1})
	s.Next(2)
	if _, _, err := s.Next(3); err == nil || !strings.Contains(err.Error(), "full") {
		t.Errorf("Next on a full session: %v", err)
	}
	if _, err := New(testSpecs()[0], Options{Threads: 100000}); err == nil {
		t.Error("absurd thread count accepted")
	}
	if _, err := New(testSpecs()[1], Options{RoPEBase: -1}); err == nil {
		t.Error("negative RoPE base accepted")
	}
}

// Finite weights so large that the forward pass overflows float32 give
// NaN or infinite logits: Run refuses them, naming the step, instead of
// returning NaN differences that no JSON can carry (issue 14).
func TestHugeFiniteWeightsAreRefused(t *testing.T) {
	spec := testSpecs()[1]
	ts := checkpointTensors(newTestDecoder(t, spec, 1))
	for i := range ts { // random weights times 1e25: every one finite, the MLP's products past 3.4e38
		if strings.Contains(ts[i].name, "mlp") {
			ts[i] = stTensor{name: ts[i].name, shape: ts[i].shape, data: slices.Clone(ts[i].data)}
			for j := range ts[i].data {
				ts[i].data[j] *= 1e25
			}
		}
	}
	path := filepath.Join(t.TempDir(), "huge.safetensors")
	writeSafetensors(t, path, ts)
	_, err := Run(spec, BenchOptions{Prompt: 3, New: 3, WeightsFile: path, Threads: 1})
	if err == nil || !strings.Contains(err.Error(), "token 0: logit 0 is") || !strings.Contains(err.Error(), "overflowed float32") {
		t.Errorf("huge weights: %v", err)
	}
}
