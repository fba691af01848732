package decoder

import (
	"testing"

	"kvcache/kvsim/model"
)

// testSpecs are tiny models covering both block types and every attention
// kind the decoder runs, including shapes the catalog lacks.
func testSpecs() []model.Spec {
	gpt := model.Spec{Name: "test-gpt", Layers: 2, DModel: 64, Heads: 4, KVHeads: 4, HeadDim: 16, FFN: 256,
		Vocab: 97, MaxContext: 64, Norm: model.LayerNorm, Activation: model.GELU, Positions: model.Learned,
		Attention: model.MHA, TiedEmbeddings: true, Bias: true}
	llamaMHA := model.Spec{Name: "test-llama-mha", Layers: 2, DModel: 64, Heads: 4, KVHeads: 4, HeadDim: 16, FFN: 160,
		Vocab: 101, MaxContext: 64, Norm: model.RMSNorm, Activation: model.SwiGLU, Positions: model.RoPE,
		Attention: model.MHA}
	gqa := llamaMHA
	gqa.Name, gqa.Heads, gqa.KVHeads, gqa.HeadDim, gqa.Attention = "test-llama-gqa", 8, 2, 8, model.GQA
	mqa := llamaMHA
	mqa.Name, mqa.KVHeads, mqa.Attention, mqa.TiedEmbeddings = "test-llama-mqa", 1, model.MQA, true
	falcon := model.Spec{Name: "test-falcon", Layers: 2, DModel: 64, Heads: 4, KVHeads: 1, HeadDim: 16, FFN: 256,
		Vocab: 89, MaxContext: 64, Norm: model.LayerNorm, Activation: model.GELU, Positions: model.RoPE,
		Attention: model.MQA, TiedEmbeddings: true, ParallelBlock: true}
	return []model.Spec{gpt, llamaMHA, gqa, mqa, falcon}
}

func newTestDecoder(t testing.TB, spec model.Spec, threads int) *Decoder {
	t.Helper()
	d, err := New(spec, Options{Seed: 7, Threads: threads})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	return d
}

func generate(t testing.TB, d *Decoder, prompt []int, newTokens int, c CacheConfig) *Generation {
	t.Helper()
	g, err := d.Generate(GenerateOptions{Prompt: prompt, NewTokens: newTokens, Cache: c, KeepLogits: true})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func catalogSpec(t testing.TB, name string) model.Spec {
	t.Helper()
	s, err := model.NewCatalog().Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func first(a, _ float64) float64 { return a }
