package study

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"kvcache/kvsim/cost"
	"kvcache/kvsim/model"
)

// KVSettings set up section 4: the architectures compared, the KV data
// types of the picker, and the hardware whose node the caches must fit.
type KVSettings struct {
	Models   []model.Spec
	DTypes   []model.DType // nil: fp16, fp8, int4
	Hardware cost.Hardware
	FitDType model.DType // weights and KV when fitting a node; "": the hardware's default (bf16 on GPUs)
	// MemoryFraction is the share of each device the engine may use; 0:
	// the default engine's (vllm: 0.9).
	MemoryFraction float64
}

// KVStudy is section 4: architectures, KV data types, and how each model's
// cache fits one node of the chosen hardware.
type KVStudy struct {
	Models []model.Spec  `json:"models"`
	DTypes []model.DType `json:"dtypes"`
	Fits   []KVFit       `json:"fits"` // at the fit dtype
	// MemoryFraction is the override the fits were sized with (0: the engine's own).
	MemoryFraction float64 `json:"memory_fraction,omitempty"`
	Provenance     `json:"provenance"`
}

// Study names the result: data/kv.json.
func (KVStudy) Study() string { return "kv" }

// Summary says what was sized.
func (k KVStudy) Summary() string {
	return fmt.Sprintf("sized the KV caches of %d models in %.2f s", len(k.Models), k.Took)
}

// KVFit is how well one model uses KV memory: bytes per token, bytes per
// token per billion parameters, and the tokens its devices hold once the
// weights are placed.
type KVFit struct {
	Model             string      `json:"model"`
	Attention         string      `json:"attention"`
	Params            int64       `json:"params"`
	KVBytesPerToken   int64       `json:"kv_bytes_per_token"`            // at DType
	KVBytesPerTokenPB float64     `json:"kv_bytes_per_token_per_bparam"` // per billion parameters
	DType             model.DType `json:"dtype"`
	Hardware          string      `json:"hardware"`
	Engine            string      `json:"engine"`          // whose memory rule places it (the default engine, vllm)
	MemoryFraction    float64     `json:"memory_fraction"` // share of each device it may use
	TP                int         `json:"tp"`              // devices the model runs on (Devices)
	NodeKVBytes       int64       `json:"node_kv_bytes"`   // cache memory left on those devices
	NodeKVTokens      int64       `json:"node_kv_tokens"`  // tokens it holds
	Fits              bool        `json:"fits"`            // the weights leave room for at least one token
	Error             string      `json:"error,omitempty"`
}

// KVArchitectures names the models of section 4: MHA (GPT-3, LLaMA-2-7B),
// GQA (LLaMA-2-70B, LLaMA-3), MQA (Falcon), MLA (DeepSeek-V3) and a sliding
// window (Mistral).
func KVArchitectures() []string {
	return []string{"gpt3-175b", "llama-65b", "llama2-7b", "llama2-70b", "llama3-8b", "llama3-70b", "llama3.1-405b", "mistral-7b", "falcon-7b", "deepseek-v3"}
}

// KV sizes each model's cache per token and fits it on the hardware.
func KV(ctx context.Context, s KVSettings) (KVStudy, error) {
	start := time.Now()
	if err := ctx.Err(); err != nil {
		return KVStudy{}, err
	}
	k := KVStudy{Models: s.Models, DTypes: s.DTypes, MemoryFraction: s.MemoryFraction}
	if k.DTypes == nil {
		k.DTypes = []model.DType{model.FP16, model.FP8, model.INT4}
	}
	var err error
	if k.Fits, err = kvFits(s.Models, s.Hardware, cost.Options{DType: orDefault(s.FitDType, s.Hardware.DefaultDType), MemoryFraction: s.MemoryFraction}); err != nil {
		return KVStudy{}, err
	}
	k.Provenance = stamp(start)
	return k, nil
}

// KVFits sizes each model's cache at dtype on the devices of hw it runs on
// (Devices: the fewest that hold one request at its full context), with
// the memory the cost model leaves for the cache there under the default
// engine (vllm).
func KVFits(specs []model.Spec, hw cost.Hardware, dtype model.DType) ([]KVFit, error) {
	return kvFits(specs, hw, cost.Options{DType: dtype})
}

func kvFits(specs []model.Spec, hw cost.Hardware, opt cost.Options) ([]KVFit, error) {
	if len(specs) == 0 {
		return nil, errors.New("study: KV fits need at least one model")
	}
	out := make([]KVFit, 0, len(specs))
	for _, s := range specs {
		out = append(out, kvFit(s, hw, opt))
	}
	return out, nil
}

func kvFit(s model.Spec, hw cost.Hardware, opt cost.Options) KVFit {
	f := KVFit{Model: s.Name, Attention: AttentionLabel(s), Params: s.TotalParams(), DType: opt.DType, Hardware: hw.Name,
		KVBytesPerToken: s.KVBytesPerToken(opt.DType)}
	f.KVBytesPerTokenPB = float64(f.KVBytesPerToken) / (float64(f.Params) / 1e9)
	tp, _, err := DevicesWith(s, hw, opt)
	if err != nil {
		f.Error = err.Error()
		return f
	}
	opt.TP = tp
	pred, err := cost.New(s, hw, opt)
	if err != nil {
		f.Error = err.Error()
		return f
	}
	f.Engine, f.MemoryFraction = pred.Options().Engine, pred.Options().MemoryFraction
	c, err := pred.Capacity(1)
	if err != nil {
		f.Error = err.Error()
		return f
	}
	f.TP = tp
	f.NodeKVBytes = c.KVCacheBytes * int64(tp)
	f.NodeKVTokens = c.KVCacheTokens
	f.Fits = f.NodeKVTokens > 0
	return f
}

// FitsAt is Fits with the KV cache stored at d (the picker of section 4;
// DType stays the weights'): the memory left for the cache is the same
// (weights and activations stay at the fit dtype), each token takes
// KVBytesPerToken at d, so the tokens
// that fit scale by the ratio of the bytes per token (which also keeps the
// cost model's rules, such as MLA's latent held whole on every device).
func (k KVStudy) FitsAt(d model.DType) []KVFit {
	out := make([]KVFit, len(k.Fits))
	for i, f := range k.Fits {
		g := f
		if j := slices.IndexFunc(k.Models, func(s model.Spec) bool { return s.Name == f.Model }); j >= 0 && f.KVBytesPerToken > 0 {
			g.KVBytesPerToken = k.Models[j].KVBytesPerToken(d)
			g.KVBytesPerTokenPB = float64(g.KVBytesPerToken) / (float64(g.Params) / 1e9)
			g.NodeKVTokens = int64(float64(f.NodeKVTokens) * float64(f.KVBytesPerToken) / float64(g.KVBytesPerToken))
		}
		out[i] = g
	}
	return out
}

// PerToken is each model's KV bytes per token at d.
func (k KVStudy) PerToken(d model.DType) []int64 {
	out := make([]int64, len(k.Models))
	for i, s := range k.Models {
		out[i] = s.KVBytesPerToken(d)
	}
	return out
}

// AgainstContext is the KV cache of one sequence of model i at d, at
// contexts log-spaced from 128 tokens to its window (a sliding window caps it).
func (k KVStudy) AgainstContext(i int, d model.DType) (tokens []int, bytes []int64) {
	s := k.Models[i]
	tokens = cost.Contexts(128, s.MaxContext, 24)
	for _, n := range tokens {
		bytes = append(bytes, s.KVBytes(n, d))
	}
	return tokens, bytes
}

// AttentionLabel names what a model caches: MHA, GQA 8/64, MQA, MLA, and a
// sliding window when there is one.
func AttentionLabel(s model.Spec) string {
	l := strings.ToUpper(string(s.Attention))
	if s.Attention == model.GQA {
		l = fmt.Sprintf("GQA %d/%d", s.KVHeads, s.Heads)
	}
	if s.SlidingWindow > 0 {
		l += fmt.Sprintf(" + window %d", s.SlidingWindow)
	}
	return l
}
