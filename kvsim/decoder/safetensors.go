package decoder

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"sort"
	"strings"
)

// A safetensors file is an 8-byte little-endian header length N, N bytes of
// JSON {name: {"dtype", "shape", "data_offsets": [begin, end]}} (plus an
// optional "__metadata__"), then the tensor bytes, offsets counted from the
// end of the header.

type stEntry struct {
	DType   string   `json:"dtype"`
	Shape   []int    `json:"shape"`
	Offsets [2]int64 `json:"data_offsets"`
}

type stFile struct {
	f       *os.File
	path    string
	base    int64 // file offset of the data section
	entries map[string]stEntry
}

const maxHeaderBytes = 100 << 20

func openSafetensors(path string) (*stFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("decoder: weights file: %w", err)
	}
	st, err := readSafetensorsHeader(f, path)
	if err != nil {
		f.Close()
		return nil, err
	}
	return st, nil
}

func readSafetensorsHeader(f *os.File, path string) (*stFile, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("decoder: %s is not a valid safetensors file: %s", path, fmt.Sprintf(format, args...))
	}
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("decoder: weights file: %w", err)
	}
	size := info.Size()
	var lenBuf [8]byte
	if _, err := io.ReadFull(f, lenBuf[:]); err != nil {
		return nil, bad("shorter than the 8-byte header length")
	}
	n := binary.LittleEndian.Uint64(lenBuf[:])
	if n == 0 || n > maxHeaderBytes || int64(n) > size-8 {
		return nil, bad("header length %d does not fit a file of %d bytes", n, size)
	}
	header := make([]byte, n)
	if _, err := io.ReadFull(f, header); err != nil {
		return nil, bad("reading the header: %v", err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(header, &raw); err != nil {
		return nil, bad("header is not a JSON object: %v", err)
	}
	st := &stFile{f: f, path: path, base: 8 + int64(n), entries: map[string]stEntry{}}
	dataLen := size - st.base
	for name, msg := range raw {
		if name == "__metadata__" {
			continue
		}
		var e stEntry
		if err := json.Unmarshal(msg, &e); err != nil {
			return nil, bad("tensor %q: %v", name, err)
		}
		width := dtypeBytes(e.DType)
		if width == 0 {
			return nil, fmt.Errorf("decoder: %s: tensor %q has dtype %q; the decoder reads F32, F16 and BF16", path, name, e.DType)
		}
		count := int64(1)
		for _, d := range e.Shape {
			if d < 0 {
				return nil, bad("tensor %q has a negative dimension in shape %v", name, e.Shape)
			}
			count *= int64(d)
		}
		b, end := e.Offsets[0], e.Offsets[1]
		if b < 0 || end < b || end > dataLen || end-b != count*int64(width) {
			return nil, bad("tensor %q: offsets [%d, %d] do not hold %v %s values in a data section of %d bytes", name, b, end, e.Shape, e.DType, dataLen)
		}
		st.entries[name] = e
	}
	return st, nil
}

func dtypeBytes(dtype string) int {
	switch dtype {
	case "F32":
		return 4
	case "F16", "BF16":
		return 2
	}
	return 0
}

// read decodes tensor name into dst (len = numel), transposing a 2-D
// tensor when transpose is set (GPT-2's Conv1D stores (in, out)).
func (st *stFile) read(name string, dst []float32, transpose bool) error {
	e := st.entries[name]
	width := dtypeBytes(e.DType)
	buf := make([]byte, e.Offsets[1]-e.Offsets[0])
	if _, err := st.f.ReadAt(buf, st.base+e.Offsets[0]); err != nil {
		return fmt.Errorf("decoder: %s: reading tensor %q: %w", st.path, name, err)
	}
	rows, cols := 1, len(dst)
	if transpose {
		rows, cols = e.Shape[0], e.Shape[1]
	}
	for i := range dst {
		var v float32
		b := buf[i*width:]
		switch e.DType {
		case "F32":
			v = math.Float32frombits(binary.LittleEndian.Uint32(b))
		case "BF16":
			v = math.Float32frombits(uint32(binary.LittleEndian.Uint16(b)) << 16)
		case "F16":
			v = halfToFloat(binary.LittleEndian.Uint16(b))
		}
		if transpose { // file (rows, cols) → dst (cols, rows)
			r, c := i/cols, i%cols
			dst[c*rows+r] = v
		} else {
			dst[i] = v
		}
	}
	return nil
}

// halfToFloat converts an IEEE 754 binary16 value.
func halfToFloat(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	frac := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // Inf, NaN
		return math.Float32frombits(sign | 0xff<<23 | frac<<13)
	case exp == 0 && frac == 0:
		return math.Float32frombits(sign)
	case exp == 0: // subnormal: frac · 2^-24
		v := float32(frac) * float32(math.Ldexp(1, -24))
		if sign != 0 {
			v = -v
		}
		return v
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | frac<<13)
}

// placement says where one file tensor goes: into dst, at element offset
// off, transposed or not, with the shape it must have in the file.
type placement struct {
	name      string
	shape     []int
	dst       []float32
	transpose bool
}

// loadSafetensors reads a GPT-2 or LLaMA (Hugging Face) checkpoint into
// weights shaped for h.
func loadSafetensors(path string, h *shape) (*Weights, error) {
	st, err := openSafetensors(path)
	if err != nil {
		return nil, err
	}
	defer st.f.Close()
	w := allocWeights(*h)
	var plan []placement
	switch {
	case st.has("wte.weight") || st.has("transformer.wte.weight"):
		if !h.layerNorm || h.swiGLU || !h.learned {
			return nil, fmt.Errorf("decoder: %s has GPT-2 tensor names but model %s is not GPT-2 shaped (it uses %s, %s, %s positions)", path, h.spec.Name, h.spec.Norm, h.spec.Activation, h.spec.Positions)
		}
		prefix := ""
		if st.has("transformer.wte.weight") {
			prefix = "transformer."
		}
		plan = gpt2Plan(w, h, prefix)
	case st.has("model.embed_tokens.weight"):
		if h.layerNorm || !h.swiGLU || !h.rope || h.parallel {
			return nil, fmt.Errorf("decoder: %s has LLaMA tensor names but model %s is not LLaMA shaped (it uses %s, %s, %s positions)", path, h.spec.Name, h.spec.Norm, h.spec.Activation, h.spec.Positions)
		}
		plan = llamaPlan(w, h)
	default:
		return nil, fmt.Errorf("decoder: %s has neither GPT-2 (wte.weight) nor LLaMA (model.embed_tokens.weight) tensor names; found %s", path, st.sampleNames(5))
	}
	var missing []string
	for _, p := range plan {
		if !st.has(p.name) {
			missing = append(missing, p.name)
		}
	}
	if len(missing) > 0 {
		more := ""
		if len(missing) > 5 {
			more = fmt.Sprintf(" and %d more", len(missing)-5)
			missing = missing[:5]
		}
		return nil, fmt.Errorf("decoder: %s lacks tensors for model %s: %s%s", path, h.spec.Name, strings.Join(missing, ", "), more)
	}
	for _, p := range plan {
		got := st.entries[p.name].Shape
		if !slices.Equal(got, p.shape) {
			return nil, fmt.Errorf("decoder: %s: tensor %s has shape %v, model %s needs %v", path, p.name, got, h.spec.Name, p.shape)
		}
		if err := st.read(p.name, p.dst, p.transpose); err != nil {
			return nil, err
		}
	}
	return w, nil
}

func (st *stFile) has(name string) bool { _, ok := st.entries[name]; return ok }

func (st *stFile) sampleNames(n int) string {
	var names []string
	for k := range st.entries {
		names = append(names, k)
	}
	sort.Strings(names)
	if len(names) == 0 {
		return "no tensors"
	}
	if len(names) > n {
		names = append(names[:n], "...")
	}
	return strings.Join(names, ", ")
}

// layerSlice is layer l's part of a tensor stacked over layers.
func layerSlice(x []float32, l, per int) []float32 { return x[l*per : (l+1)*per] }

// gpt2Plan maps Hugging Face GPT-2 names. Its Conv1D weights are stored
// (in, out) and are transposed to (out, in).
func gpt2Plan(w *Weights, h *shape, p string) []placement {
	d := h.dim
	plan := []placement{
		{p + "wte.weight", []int{h.vocab, d}, w.TokenEmbedding, false},
		{p + "wpe.weight", []int{h.context, d}, w.PositionEmbedding, false},
		{p + "ln_f.weight", []int{d}, w.FinalNormGain, false},
		{p + "ln_f.bias", []int{d}, w.FinalNormBias, false},
	}
	if !h.spec.TiedEmbeddings {
		plan = append(plan, placement{"lm_head.weight", []int{h.vocab, d}, w.LMHead, false})
	}
	for l := 0; l < h.layers; l++ {
		b := fmt.Sprintf("%sh.%d.", p, l)
		plan = append(plan,
			placement{b + "ln_1.weight", []int{d}, layerSlice(w.AttnNormGain, l, d), false},
			placement{b + "ln_1.bias", []int{d}, layerSlice(w.AttnNormBias, l, d), false},
			placement{b + "attn.c_attn.weight", []int{d, h.qkvDim}, layerSlice(w.QKV, l, h.qkvDim*d), true},
			placement{b + "attn.c_attn.bias", []int{h.qkvDim}, layerSlice(w.QKVBias, l, h.qkvDim), false},
			placement{b + "attn.c_proj.weight", []int{h.qDim, d}, layerSlice(w.Out, l, d*h.qDim), true},
			placement{b + "attn.c_proj.bias", []int{d}, layerSlice(w.OutBias, l, d), false},
			placement{b + "ln_2.weight", []int{d}, layerSlice(w.MLPNormGain, l, d), false},
			placement{b + "ln_2.bias", []int{d}, layerSlice(w.MLPNormBias, l, d), false},
			placement{b + "mlp.c_fc.weight", []int{d, h.ffn}, layerSlice(w.Up, l, h.ffn*d), true},
			placement{b + "mlp.c_fc.bias", []int{h.ffn}, layerSlice(w.UpBias, l, h.ffn), false},
			placement{b + "mlp.c_proj.weight", []int{h.ffn, d}, layerSlice(w.Down, l, d*h.ffn), true},
			placement{b + "mlp.c_proj.bias", []int{d}, layerSlice(w.DownBias, l, d), false},
		)
	}
	return plan
}

// llamaPlan maps Hugging Face LLaMA names: q/k/v_proj fill the fused QKV
// rows, gate_proj and up_proj the fused Up rows.
func llamaPlan(w *Weights, h *shape) []placement {
	d := h.dim
	plan := []placement{
		{"model.embed_tokens.weight", []int{h.vocab, d}, w.TokenEmbedding, false},
		{"model.norm.weight", []int{d}, w.FinalNormGain, false},
	}
	if !h.spec.TiedEmbeddings {
		plan = append(plan, placement{"lm_head.weight", []int{h.vocab, d}, w.LMHead, false})
	}
	for l := 0; l < h.layers; l++ {
		b := fmt.Sprintf("model.layers.%d.", l)
		qkv := layerSlice(w.QKV, l, h.qkvDim*d)
		up := layerSlice(w.Up, l, h.upRows*d)
		plan = append(plan,
			placement{b + "input_layernorm.weight", []int{d}, layerSlice(w.AttnNormGain, l, d), false},
			placement{b + "self_attn.q_proj.weight", []int{h.qDim, d}, qkv[:h.qDim*d], false},
			placement{b + "self_attn.k_proj.weight", []int{h.kvDim, d}, qkv[h.qDim*d : (h.qDim+h.kvDim)*d], false},
			placement{b + "self_attn.v_proj.weight", []int{h.kvDim, d}, qkv[(h.qDim+h.kvDim)*d:], false},
			placement{b + "self_attn.o_proj.weight", []int{d, h.qDim}, layerSlice(w.Out, l, d*h.qDim), false},
			placement{b + "post_attention_layernorm.weight", []int{d}, layerSlice(w.MLPNormGain, l, d), false},
			placement{b + "mlp.gate_proj.weight", []int{h.ffn, d}, up[:h.ffn*d], false},
			placement{b + "mlp.up_proj.weight", []int{h.ffn, d}, up[h.ffn*d:], false},
			placement{b + "mlp.down_proj.weight", []int{d, h.ffn}, layerSlice(w.Down, l, d*h.ffn), false},
		)
		if h.bias { // Qwen-style attention biases
			bias := layerSlice(w.QKVBias, l, h.qkvDim)
			plan = append(plan,
				placement{b + "self_attn.q_proj.bias", []int{h.qDim}, bias[:h.qDim], false},
				placement{b + "self_attn.k_proj.bias", []int{h.kvDim}, bias[h.qDim : h.qDim+h.kvDim], false},
				placement{b + "self_attn.v_proj.bias", []int{h.kvDim}, bias[h.qDim+h.kvDim:], false},
				placement{b + "self_attn.o_proj.bias", []int{d}, layerSlice(w.OutBias, l, d), false},
			)
		}
	}
	return plan
}
