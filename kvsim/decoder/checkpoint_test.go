package decoder

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"kvcache/kvsim/model"
)

// writeSharded writes tensors over shards files plus the index that maps
// them, the layout of a Hugging Face sharded checkpoint; it returns the
// index path.
func writeSharded(t testing.TB, dir string, tensors []stTensor, shards int) string {
	t.Helper()
	weightMap := map[string]string{}
	for i := 0; i < shards; i++ {
		name := fmt.Sprintf("model-%05d-of-%05d.safetensors", i+1, shards)
		var part []stTensor
		for j := i; j < len(tensors); j += shards {
			part = append(part, tensors[j])
			weightMap[tensors[j].name] = name
		}
		writeSafetensors(t, filepath.Join(dir, name), part)
	}
	idx, err := json.Marshal(map[string]any{"metadata": map[string]any{"total_size": 0}, "weight_map": weightMap})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "model.safetensors.index.json")
	if err := os.WriteFile(path, idx, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// asStored rounds every tensor to its dtype, as the file stores it, and
// returns what float32 values the reader must produce.
func asStored(ts []stTensor, dtype func(i int) string) []stTensor {
	out := make([]stTensor, len(ts))
	for i, tn := range ts {
		d := dtype(i)
		data := slices.Clone(tn.data)
		for j, v := range data {
			switch d {
			case "BF16":
				data[j] = math.Float32frombits(math.Float32bits(v) &^ 0xffff)
			case "F16":
				data[j] = halfToFloat(floatToHalf(v))
			}
		}
		out[i] = stTensor{name: tn.name, shape: tn.shape, data: data, dtype: d}
	}
	return out
}

// A checkpoint split over shards, stored in F32, BF16 and F16 by tensor,
// loads through its index or its folder into exactly the float32 values the
// files hold, and decodes like a decoder holding those values.
func TestShardedMixedPrecisionCheckpoint(t *testing.T) {
	for _, spec := range testSpecs()[:3] {
		t.Run(spec.Name, func(t *testing.T) {
			src := newTestDecoder(t, spec, 1)
			dtypes := []string{"F32", "BF16", "F16"}
			stored := asStored(checkpointTensors(src), func(i int) string { return dtypes[i%3] })
			dir := t.TempDir()
			index := writeSharded(t, dir, stored, 3)
			want := map[string][]float32{}
			for _, tn := range stored {
				want[tn.name] = tn.data
			}
			var first *Decoder
			for _, path := range []string{index, dir} {
				d, err := New(spec, Options{WeightsFile: path, Threads: 1})
				if err != nil {
					t.Fatal(err)
				}
				defer d.Close()
				// Every value read back equals what the file holds.
				for _, tn := range checkpointTensors(d) {
					if w, ok := want[tn.name]; ok && !slices.Equal(tn.data, w) {
						t.Fatalf("%s via %s: tensor %s differs from the file's values", spec.Name, path, tn.name)
					}
				}
				if first == nil {
					first = d
					continue
				}
				prompt := randomPrompt(spec.Vocab, 5, 1)
				a, b := generate(t, first, prompt, 4, full), generate(t, d, prompt, 4, full)
				if !slices.Equal(a.Tokens, b.Tokens) || !slices.Equal(a.Logits[3], b.Logits[3]) {
					t.Fatal("the index and the folder load different weights")
				}
			}
		})
	}
}

func TestFloatToHalfMatchesHalfToFloat(t *testing.T) {
	for _, v := range []float32{0, 1, -2, 0.1, 3.14159, 65504, 1e-5, -6e-8, 5.9604645e-08, 6.1e-5, 1234.5} {
		got := halfToFloat(floatToHalf(v))
		if rel := math.Abs(float64(got-v)) / math.Max(math.Abs(float64(v)), 1e-7); rel > 1.0/2048 && math.Abs(float64(got-v)) > 3e-8 {
			t.Errorf("%g → %#x → %g", v, floatToHalf(v), got)
		}
	}
}

// The panic of issue 14: a GPT-shaped spec without "bias" (the default)
// given a GPT-2 checkpoint sliced unallocated bias tensors. Now the plan is
// checked first and the error names the fix.
func TestGPT2CheckpointIntoUnbiasedSpec(t *testing.T) {
	spec := testSpecs()[0]
	path := filepath.Join(t.TempDir(), "gpt2.safetensors")
	writeSafetensors(t, path, checkpointTensors(newTestDecoder(t, spec, 1)))
	noBias := spec
	noBias.Name, noBias.Bias = "gpt-no-bias", false
	_, err := New(noBias, Options{WeightsFile: path, Threads: 1})
	if err == nil || !strings.Contains(err.Error(), `set "bias": true`) || !strings.Contains(err.Error(), "h.0.attn.c_attn.bias") {
		t.Errorf("error %v, want one naming the unplaced biases and the fix", err)
	}
	parallel := spec
	parallel.Name, parallel.ParallelBlock = "gpt-parallel", true
	if _, err := New(parallel, Options{WeightsFile: path, Threads: 1}); err == nil || !strings.Contains(err.Error(), "not GPT-2 shaped") {
		t.Errorf("GPT-2 checkpoint into a parallel-block spec: %v", err)
	}
}

// Qwen2 biases Q, K and V but not O: with qkv_bias the checkpoint loads and
// decodes as the model that wrote it; without, it is refused.
func TestQKVBiasCheckpoint(t *testing.T) {
	spec := testSpecs()[2] // GQA
	spec.Name, spec.QKVBias = "test-qwen", true
	src := newTestDecoder(t, spec, 1)
	if src.w.OutBias != nil || src.w.QKVBias == nil {
		t.Fatal("qkv_bias allocates the Q, K, V biases and no output bias")
	}
	ts := checkpointTensors(src)
	h := src.h
	for l := 0; l < h.layers; l++ {
		b := fmt.Sprintf("model.layers.%d.self_attn.", l)
		bias := src.w.QKVBias[l*h.qkvDim : (l+1)*h.qkvDim]
		ts = append(ts,
			stTensor{name: b + "q_proj.bias", shape: []int{h.qDim}, data: bias[:h.qDim]},
			stTensor{name: b + "k_proj.bias", shape: []int{h.kvDim}, data: bias[h.qDim : h.qDim+h.kvDim]},
			stTensor{name: b + "v_proj.bias", shape: []int{h.kvDim}, data: bias[h.qDim+h.kvDim:]})
	}
	path := filepath.Join(t.TempDir(), "model.safetensors")
	writeSafetensors(t, path, ts)
	d, err := New(spec, Options{WeightsFile: path, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	prompt := randomPrompt(spec.Vocab, 5, 2)
	a, b := generate(t, src, prompt, 4, full), generate(t, d, prompt, 4, full)
	if !slices.Equal(a.Logits[3], b.Logits[3]) {
		t.Error("the Qwen-style checkpoint decodes differently")
	}
	plain := spec
	plain.Name, plain.QKVBias = "test-no-qkv-bias", false
	if _, err := New(plain, Options{WeightsFile: path, Threads: 1}); err == nil || !strings.Contains(err.Error(), `"qkv_bias": true`) {
		t.Errorf("biased checkpoint into an unbiased spec: %v", err)
	}
}

// Checkpoints that do not match the spec, and files that are not
// checkpoints, are clear errors naming the problem; none panics.
func TestCheckpointMismatchesAndBadPaths(t *testing.T) {
	spec := testSpecs()[1] // LLaMA MHA, untied, 2 layers
	src := newTestDecoder(t, spec, 1)
	good := checkpointTensors(src)
	dir := t.TempDir()
	file := func(name string, ts []stTensor) string {
		p := filepath.Join(dir, name)
		writeSafetensors(t, p, ts)
		return p
	}
	mkdir := func(name string) string {
		p := filepath.Join(dir, name)
		if err := os.Mkdir(p, 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	extraLayer := slices.Clone(good)
	for _, tn := range good {
		if strings.HasPrefix(tn.name, "model.layers.1.") {
			extraLayer = append(extraLayer, stTensor{name: strings.Replace(tn.name, ".1.", ".2.", 1), shape: tn.shape, data: tn.data})
		}
	}
	nan := slices.Clone(good)
	nan[3] = stTensor{name: nan[3].name, shape: nan[3].shape, data: slices.Clone(nan[3].data)}
	nan[3].data[5] = float32(math.NaN())
	inf := slices.Clone(good)
	inf[4] = stTensor{name: inf[4].name, shape: inf[4].shape, data: slices.Clone(inf[4].data), dtype: "F16"}
	inf[4].data[0] = 1e6 // beyond half precision: stored as +Inf
	empty := mkdir("empty")
	two := mkdir("two")
	file(filepath.Join("two", "a.safetensors"), good)
	file(filepath.Join("two", "b.safetensors"), good)
	escape := mkdir("escape")
	os.WriteFile(filepath.Join(escape, "model.safetensors.index.json"), []byte(`{"weight_map": {"x": "../model.safetensors"}}`), 0o644)
	lying := mkdir("lying")
	file(filepath.Join("lying", "s1.safetensors"), good[:2])
	os.WriteFile(filepath.Join(lying, "model.safetensors.index.json"), []byte(`{"weight_map": {"lm_head.weight": "s1.safetensors"}}`), 0o644)
	badIndex := mkdir("badindex")
	os.WriteFile(filepath.Join(badIndex, "model.safetensors.index.json"), []byte(`{"weight_map": `), 0o644)
	overflow := filepath.Join(dir, "overflow.safetensors")
	h := `{"x": {"dtype": "F32", "shape": [4294967296, 4294967296], "data_offsets": [0, 0]}}`
	os.WriteFile(overflow, append(binary.LittleEndian.AppendUint64(nil, uint64(len(h))), h...), 0o644)

	cases := []struct{ name, path, want string }{
		{"more layers than the spec", file("extra.safetensors", extraLayer), "more than the spec's 2 layers"},
		{"NaN weight", file("nan.safetensors", nan), "holds NaN at element 5"},
		{"Inf weight", file("inf.safetensors", inf), "holds +Inf at element 0"},
		{"folder with no checkpoint", empty, "holds no .safetensors file"},
		{"folder with two files, no index", two, "2 .safetensors files but no model.safetensors.index.json"},
		{"shard outside the folder", escape, "shards must be files beside the index"},
		{"index naming a tensor its shard lacks", lying, `maps tensor "lm_head.weight" to s1.safetensors, which does not hold it`},
		{"cut-short index", badIndex, "not a valid safetensors index"},
		{"shape overflowing int64", overflow, "does not fit a data section"},
	}
	if _, err := os.Stat("/dev/zero"); err == nil {
		cases = append(cases, struct{ name, path, want string }{"device", "/dev/zero", "is not a regular file"})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := New(spec, Options{WeightsFile: c.path, Threads: 1})
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "decoder: ") {
				t.Errorf("error %v, want one starting decoder: and containing %q", err, c.want)
			}
		})
	}
	// A tied spec given a checkpoint with its own LM head.
	tied := spec
	tied.Name, tied.TiedEmbeddings = "test-tied", true
	if _, err := New(tied, Options{WeightsFile: file("untied.safetensors", good), Threads: 1}); err == nil || !strings.Contains(err.Error(), `"tied_embeddings": false`) {
		t.Errorf("untied checkpoint into a tied spec: %v", err)
	}
	// And the good file in a folder of its own loads.
	ok := mkdir("ok")
	file(filepath.Join("ok", "model.safetensors"), good)
	d, err := New(spec, Options{WeightsFile: ok, Threads: 1})
	if err != nil {
		t.Fatalf("a folder holding model.safetensors: %v", err)
	}
	d.Close()
}

// FuzzSafetensors feeds the safetensors reader arbitrary files: it must
// never panic, and every tensor it accepts must read back within the file.
// go test runs the seed corpus; go test -fuzz FuzzSafetensors explores.
func FuzzSafetensors(f *testing.F) {
	header := func(h string, data int) []byte {
		out := append(binary.LittleEndian.AppendUint64(nil, uint64(len(h))), h...)
		return append(out, make([]byte, data)...)
	}
	f.Add(header(`{"a": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]}, "__metadata__": {"format": "pt"}}`, 16))
	f.Add(header(`{"a": {"dtype": "BF16", "shape": [3], "data_offsets": [0, 6]}, "b": {"dtype": "F16", "shape": [1], "data_offsets": [6, 8]}}`, 8))
	f.Add(header(`{"x": {"dtype": "F32", "shape": [4294967296, 4294967296], "data_offsets": [0, 0]}}`, 0))
	f.Add(header(`{"x": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}`, 4))
	f.Add(header(`{"x": {"dtype": "F32", "shape": [1], "data_offsets": [4, 0]}}`, 4))
	f.Add(header(`{"x": {"dtype": "F16", "shape": [2], "data_offsets": [0, 4]}}`, 0))
	f.Add(append(header(`{"n": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}`, 0), 0, 0, 0xc0, 0x7f))       // NaN
	f.Add(append(header(`{"i": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}`, 0), 0, 0, 0x80, 0x7f))       // +Inf
	f.Add(append(header(`{"h": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}`, 0), 0xca, 0xf2, 0x49, 0x71)) // 1e30: finite, accepted
	// issue 14: GPT-2 names without the biases a bias-less spec expects; a header longer than the file
	f.Add(header(`{"wte.weight": {"dtype": "F32", "shape": [4, 2], "data_offsets": [0, 32]}, "h.0.attn.c_attn.weight": {"dtype": "F32", "shape": [2, 6], "data_offsets": [32, 80]}}`, 80))
	f.Add(binary.LittleEndian.AppendUint64(nil, 1<<40))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	f.Add([]byte("short"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, "fuzz.safetensors")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		st, err := openSafetensors(path)
		if err != nil {
			return
		}
		defer st.f.Close()
		for name, e := range st.entries {
			n := 1
			for _, d := range e.Shape {
				n *= d
			}
			if n > 1<<20 {
				continue
			}
			err := st.read(name, make([]float32, n), false)
			if err != nil && !strings.Contains(err.Error(), name) {
				t.Fatalf("error %v does not name tensor %q", err, name)
			}
		}
	})
}

// The decoder runs a spec's own RoPE base (LLaMA-3's 500000 from its
// config), refuses a GeGLU MLP it does not implement, and runs qkv_bias.
func TestSpecFieldsTheDecoderHonours(t *testing.T) {
	spec := testSpecs()[1]
	spec.RoPETheta = 500000
	prompt := randomPrompt(spec.Vocab, 6, 3)
	fromSpec := generate(t, newTestDecoder(t, spec, 1), prompt, 3, full)
	explicit, err := New(spec, Options{Seed: 7, Threads: 1, RoPEBase: 500000})
	if err != nil {
		t.Fatal(err)
	}
	defer explicit.Close()
	plain := spec
	plain.RoPETheta = 0
	base := generate(t, newTestDecoder(t, plain, 1), prompt, 3, full)
	if got := generate(t, explicit, prompt, 3, full); !slices.Equal(got.Logits[2], fromSpec.Logits[2]) {
		t.Error("rope_theta 500000 in the spec decodes unlike RoPEBase 500000")
	}
	if slices.Equal(base.Logits[2], fromSpec.Logits[2]) {
		t.Error("rope_theta changed nothing")
	}
	geglu := testSpecs()[1]
	geglu.Activation = model.GeGLU
	if _, err := New(geglu, Options{Threads: 1}); err == nil || !strings.Contains(err.Error(), "GeGLU") {
		t.Errorf("GeGLU spec: %v", err)
	}
}
