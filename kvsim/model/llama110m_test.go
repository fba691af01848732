package model

import "testing"

// llama-110m is the shape the decoder is benchmarked on against llama2.c's
// run.c: it must be stories110M exactly. Its parameter count is the float
// count of a run.c checkpoint of that shape (438,381,596 bytes: a 28-byte
// header, then 109,595,392 floats of which 65,536 are the unused RoPE
// tables), so both programs multiply the same weights.
func TestLlama110MIsStories110M(t *testing.T) {
	s, err := NewCatalog().Lookup("llama-110m")
	if err != nil {
		t.Fatal(err)
	}
	want := Spec{Layers: 12, DModel: 768, Heads: 12, KVHeads: 12, HeadDim: 64, FFN: 2048, Vocab: 32000, MaxContext: 1024,
		Norm: RMSNorm, Activation: SwiGLU, Positions: RoPE, Attention: MHA, TiedEmbeddings: true, RoPETheta: 10000}
	got := s
	got.Name, got.Family, got.Source = "", "", ""
	if got != want {
		t.Fatalf("llama-110m = %+v, want the stories110M shape %+v", s, want)
	}
	const checkpointFloats = (438381596 - 28) / 4
	const ropeTables = 1024 * 64 // seq_len × head_size/2, twice
	if p := s.TotalParams(); p != checkpointFloats-ropeTables {
		t.Errorf("llama-110m has %d parameters, a run.c checkpoint of its shape holds %d", p, checkpointFloats-ropeTables)
	}
}
