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
)

type stTensor struct {
	name  string
	shape []int
	data  []float32
	dtype string // "F32" (default), "BF16" or "F16"
}

// writeSafetensors writes tensors in the safetensors layout.
func writeSafetensors(t testing.TB, path string, tensors []stTensor) {
	t.Helper()
	header := map[string]any{"__metadata__": map[string]string{"format": "pt"}}
	var data []byte
	for _, tn := range tensors {
		begin := len(data)
		dtype := tn.dtype
		if dtype == "" {
			dtype = "F32"
		}
		for _, v := range tn.data {
			switch dtype {
			case "BF16":
				data = binary.LittleEndian.AppendUint16(data, uint16(math.Float32bits(v)>>16))
			case "F16":
				data = binary.LittleEndian.AppendUint16(data, floatToHalf(v))
			default:
				data = binary.LittleEndian.AppendUint32(data, math.Float32bits(v))
			}
		}
		header[tn.name] = map[string]any{"dtype": dtype, "shape": tn.shape, "data_offsets": []int{begin, len(data)}}
	}
	h, err := json.Marshal(header)
	if err != nil {
		t.Fatal(err)
	}
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(h)))
	out = append(append(out, h...), data...)
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

// floatToHalf rounds a float32 to the nearest IEEE 754 binary16 value (ties
// to even), as torch.Tensor.half() does; the test's own encoder, so that
// the reader's halfToFloat is checked against an independent one.
func floatToHalf(f float32) uint16 {
	sign := uint16(math.Float32bits(f)>>16) & 0x8000
	a := math.Abs(float64(f))
	switch {
	case math.IsNaN(a):
		return sign | 0x7e00
	case a >= 65520: // rounds past the largest half, 65504
		return sign | 0x7c00
	case a < math.Ldexp(1, -14): // subnormal: a multiple of 2^-24
		return sign | uint16(math.RoundToEven(a*math.Ldexp(1, 24)))
	}
	frac, exp := math.Frexp(a) // a = 2·frac × 2^(exp-1), 2·frac in [1, 2)
	m := math.RoundToEven((2*frac - 1) * 1024)
	e := exp - 1 + 15
	if m == 1024 {
		m, e = 0, e+1
	}
	return sign | uint16(e)<<10 | uint16(m)
}

func transposed(x []float32, rows, cols int) []float32 {
	y := make([]float32, len(x))
	for r := 0; r < rows; r++ {
		for c := 0; c < cols; c++ {
			y[c*rows+r] = x[r*cols+c]
		}
	}
	return y
}

// checkpointTensors renders weights under GPT-2 or LLaMA (Hugging Face)
// names, the way those checkpoints store them.
func checkpointTensors(d *Decoder) []stTensor {
	h, w := &d.h, d.w
	dm := h.dim
	ls := func(x []float32, l, per int) []float32 { return x[l*per : (l+1)*per] }
	var ts []stTensor
	if h.layerNorm {
		ts = append(ts, stTensor{name: "wte.weight", shape: []int{h.vocab, dm}, data: w.TokenEmbedding},
			stTensor{name: "wpe.weight", shape: []int{h.context, dm}, data: w.PositionEmbedding},
			stTensor{name: "ln_f.weight", shape: []int{dm}, data: w.FinalNormGain},
			stTensor{name: "ln_f.bias", shape: []int{dm}, data: w.FinalNormBias})
		for l := 0; l < h.layers; l++ {
			b := fmt.Sprintf("h.%d.", l)
			ts = append(ts,
				stTensor{name: b + "ln_1.weight", shape: []int{dm}, data: ls(w.AttnNormGain, l, dm)},
				stTensor{name: b + "ln_1.bias", shape: []int{dm}, data: ls(w.AttnNormBias, l, dm)},
				stTensor{name: b + "attn.c_attn.weight", shape: []int{dm, h.qkvDim}, data: transposed(ls(w.QKV, l, h.qkvDim*dm), h.qkvDim, dm)},
				stTensor{name: b + "attn.c_attn.bias", shape: []int{h.qkvDim}, data: ls(w.QKVBias, l, h.qkvDim)},
				stTensor{name: b + "attn.c_proj.weight", shape: []int{h.qDim, dm}, data: transposed(ls(w.Out, l, dm*h.qDim), dm, h.qDim)},
				stTensor{name: b + "attn.c_proj.bias", shape: []int{dm}, data: ls(w.OutBias, l, dm)},
				stTensor{name: b + "ln_2.weight", shape: []int{dm}, data: ls(w.MLPNormGain, l, dm)},
				stTensor{name: b + "ln_2.bias", shape: []int{dm}, data: ls(w.MLPNormBias, l, dm)},
				stTensor{name: b + "mlp.c_fc.weight", shape: []int{dm, h.ffn}, data: transposed(ls(w.Up, l, h.ffn*dm), h.ffn, dm)},
				stTensor{name: b + "mlp.c_fc.bias", shape: []int{h.ffn}, data: ls(w.UpBias, l, h.ffn)},
				stTensor{name: b + "mlp.c_proj.weight", shape: []int{h.ffn, dm}, data: transposed(ls(w.Down, l, dm*h.ffn), dm, h.ffn)},
				stTensor{name: b + "mlp.c_proj.bias", shape: []int{dm}, data: ls(w.DownBias, l, dm)},
				stTensor{name: b + "attn.bias", shape: []int{1, 1, 4, 4}, data: make([]float32, 16)}, // GPT-2's mask buffer: ignored
			)
		}
		return ts
	}
	ts = append(ts, stTensor{name: "model.embed_tokens.weight", shape: []int{h.vocab, dm}, data: w.TokenEmbedding},
		stTensor{name: "model.norm.weight", shape: []int{dm}, data: w.FinalNormGain})
	if !h.spec.TiedEmbeddings {
		ts = append(ts, stTensor{name: "lm_head.weight", shape: []int{h.vocab, dm}, data: w.LMHead})
	}
	for l := 0; l < h.layers; l++ {
		b := fmt.Sprintf("model.layers.%d.", l)
		qkv, up := ls(w.QKV, l, h.qkvDim*dm), ls(w.Up, l, h.upRows*dm)
		ts = append(ts,
			stTensor{name: b + "input_layernorm.weight", shape: []int{dm}, data: ls(w.AttnNormGain, l, dm)},
			stTensor{name: b + "self_attn.q_proj.weight", shape: []int{h.qDim, dm}, data: qkv[:h.qDim*dm]},
			stTensor{name: b + "self_attn.k_proj.weight", shape: []int{h.kvDim, dm}, data: qkv[h.qDim*dm : (h.qDim+h.kvDim)*dm]},
			stTensor{name: b + "self_attn.v_proj.weight", shape: []int{h.kvDim, dm}, data: qkv[(h.qDim+h.kvDim)*dm:]},
			stTensor{name: b + "self_attn.o_proj.weight", shape: []int{dm, h.qDim}, data: ls(w.Out, l, dm*h.qDim)},
			stTensor{name: b + "post_attention_layernorm.weight", shape: []int{dm}, data: ls(w.MLPNormGain, l, dm)},
			stTensor{name: b + "mlp.gate_proj.weight", shape: []int{h.ffn, dm}, data: up[:h.ffn*dm]},
			stTensor{name: b + "mlp.up_proj.weight", shape: []int{h.ffn, dm}, data: up[h.ffn*dm:]},
			stTensor{name: b + "mlp.down_proj.weight", shape: []int{dm, h.ffn}, data: ls(w.Down, l, dm*h.ffn)},
		)
	}
	return ts
}

// A checkpoint written under GPT-2 or LLaMA names loads into the same
// weights, so the model decodes the same tokens with the same logits.
func TestSafetensorsRoundTrip(t *testing.T) {
	for _, spec := range testSpecs()[:4] { // GPT, LLaMA MHA, GQA, MQA (tied)
		t.Run(spec.Name, func(t *testing.T) {
			src := newTestDecoder(t, spec, 2)
			path := filepath.Join(t.TempDir(), "model.safetensors")
			writeSafetensors(t, path, checkpointTensors(src))
			loaded, err := New(spec, Options{WeightsFile: path, Threads: 2})
			if err != nil {
				t.Fatal(err)
			}
			defer loaded.Close()
			for _, tn := range src.w.tensors(src.h) {
				got := *tn.data
				for _, lt := range loaded.w.tensors(loaded.h) {
					if lt.name == tn.name {
						got = *lt.data
					}
				}
				if !slices.Equal(got, *tn.data) {
					t.Fatalf("tensor %s differs after the round trip", tn.name)
				}
			}
			prompt := randomPrompt(spec.Vocab, 5, 1)
			a, b := generate(t, src, prompt, 6, full), generate(t, loaded, prompt, 6, full)
			if !slices.Equal(a.Tokens, b.Tokens) || !slices.Equal(a.Logits[5], b.Logits[5]) {
				t.Fatal("loaded weights decode differently")
			}
		})
	}
}

// GPT-2's Conv1D stores (in, out): element [i][o] of c_attn must land in
// row o, column i of the fused QKV; BF16 values widen exactly.
func TestSafetensorsGPT2TransposeAndBF16(t *testing.T) {
	spec := testSpecs()[0]
	src := newTestDecoder(t, spec, 1)
	ts := checkpointTensors(src)
	h := src.h
	for i := range ts {
		if ts[i].name == "h.0.attn.c_attn.weight" {
			data := make([]float32, len(ts[i].data))
			data[3*h.qkvDim+70] = 1.5 // in 3, out 70
			ts[i] = stTensor{name: ts[i].name, shape: ts[i].shape, data: data, dtype: "BF16"}
		}
	}
	path := filepath.Join(t.TempDir(), "gpt2.safetensors")
	writeSafetensors(t, path, ts)
	d, err := New(spec, Options{WeightsFile: path, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	for i, v := range d.w.QKV[:h.qkvDim*h.dim] {
		want := float32(0)
		if i == 70*h.dim+3 {
			want = 1.5
		}
		if v != want {
			t.Fatalf("QKV[%d] = %g, want %g", i, v, want)
		}
	}
}

func TestHalfToFloat(t *testing.T) {
	for _, c := range []struct {
		bits uint16
		want float32
	}{{0x3c00, 1}, {0xc000, -2}, {0x3555, 0.33325195}, {0x0001, 5.9604645e-08}, {0x7bff, 65504}, {0x8000, 0}} {
		if got := halfToFloat(c.bits); got != c.want {
			t.Errorf("halfToFloat(%#x) = %g, want %g", c.bits, got, c.want)
		}
	}
	if !math.IsInf(float64(halfToFloat(0x7c00)), 1) || !math.IsNaN(float64(halfToFloat(0x7e00))) {
		t.Error("Inf or NaN not preserved")
	}
}

// Broken files are clear errors naming the problem, never panics.
func TestSafetensorsBadFiles(t *testing.T) {
	spec := testSpecs()[1]
	src := newTestDecoder(t, spec, 1)
	dir := t.TempDir()
	good := checkpointTensors(src)
	write := func(name string, content []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, content, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	header := func(h string) []byte {
		return append(binary.LittleEndian.AppendUint64(nil, uint64(len(h))), h...)
	}
	withTensors := func(name string, edit func([]stTensor) []stTensor) string {
		p := filepath.Join(dir, name)
		writeSafetensors(t, p, edit(slices.Clone(good)))
		return p
	}
	cases := []struct {
		name, path, want string
	}{
		{"missing", filepath.Join(dir, "nope.safetensors"), "no such file"},
		{"empty", write("empty", nil), "shorter than the 8-byte header"},
		{"huge header", write("huge", header("{}")[:8]), "header length"},
		{"not json", write("notjson", header("{nope")), "not a JSON object"},
		{"bad offsets", write("offsets", header(`{"x": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}`)), "offsets"},
		{"bad dtype", write("dtype", header(`{"x": {"dtype": "I64", "shape": [0], "data_offsets": [0, 0]}}`)), `dtype "I64"`},
		{"foreign names", write("foreign", header(`{"x": {"dtype": "F32", "shape": [0], "data_offsets": [0, 0]}}`)), "neither GPT-2"},
		{"missing tensor", withTensors("missing_t", func(ts []stTensor) []stTensor { return ts[:len(ts)-1] }), "lacks tensors"},
		{"wrong shape", withTensors("shape", func(ts []stTensor) []stTensor {
			ts[1] = stTensor{name: ts[1].name, shape: []int{1, len(ts[1].data)}, data: ts[1].data}
			return ts
		}), "has shape"},
	}
	for _, c := range cases {
		_, err := New(spec, Options{WeightsFile: c.path})
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "decoder: ") {
			t.Errorf("%s: error %v, want one mentioning %q", c.name, err, c.want)
		}
	}
	// GPT-2 names for a LLaMA-shaped model
	gptSrc := newTestDecoder(t, testSpecs()[0], 1)
	p := filepath.Join(dir, "gpt2")
	writeSafetensors(t, p, checkpointTensors(gptSrc))
	if _, err := New(spec, Options{WeightsFile: p}); err == nil || !strings.Contains(err.Error(), "not GPT-2 shaped") {
		t.Errorf("GPT-2 file for a LLaMA model: %v", err)
	}
}
