package report

import "kvcache/kvsim/model"

// ModelRecord is the JSON form of a model: its hyperparameters and derived
// sizes. Field names are part of the CLI's contract.
type ModelRecord struct {
	model.Spec
	Params               int64            `json:"params"`
	ActiveParams         int64            `json:"active_params"`
	KVBytesPerToken      int64            `json:"kv_bytes_per_token"` // fp16
	KVBytesPerTokenDType map[string]int64 `json:"kv_bytes_per_token_by_dtype"`
	// KVBytesPerTokenBeyondWindow is what a token adds once the context
	// passes the sliding window (fp16): the global layers only.
	KVBytesPerTokenBeyondWindow int64            `json:"kv_bytes_per_token_beyond_window"`
	WeightBytesDType            map[string]int64 `json:"weight_bytes_by_dtype"`
	ParamBreakdown              ParamBreakdown   `json:"param_breakdown"`
	MatmulParams                int64            `json:"matmul_params"`
	DecodeFLOPsCached           float64          `json:"decode_flops_cached_at_1k"`   // one token after 1,024 (or max_context-1)
	DecodeFLOPsUncached         float64          `json:"decode_flops_uncached_at_1k"` // the same token without a cache
}

// ParamBreakdown is model.ParamCounts with JSON names.
type ParamBreakdown struct {
	Embedding int64 `json:"embedding"`
	Positions int64 `json:"positions"`
	Attention int64 `json:"attention"`
	DenseMLP  int64 `json:"dense_mlp"`
	Experts   int64 `json:"experts"`
	Router    int64 `json:"router"`
	Norms     int64 `json:"norms"`
	LMHead    int64 `json:"lm_head"`
}

// NewModelRecord derives a model's record.
func NewModelRecord(s model.Spec) ModelRecord {
	p := s.Params()
	r := ModelRecord{
		Spec:                        s,
		Params:                      p.Total,
		ActiveParams:                p.Active,
		KVBytesPerToken:             s.KVBytesPerToken(model.FP16),
		KVBytesPerTokenBeyondWindow: s.KVBytesPerTokenBeyondWindow(model.FP16),
		KVBytesPerTokenDType:        map[string]int64{},
		WeightBytesDType:            map[string]int64{},
		ParamBreakdown: ParamBreakdown{
			Embedding: p.Embedding, Positions: p.Positions, Attention: p.Attention, DenseMLP: p.DenseMLP,
			Experts: p.Experts, Router: p.Router, Norms: p.Norms, LMHead: p.LMHead,
		},
		MatmulParams: s.MatmulParams(),
	}
	for _, d := range model.DTypes() {
		r.KVBytesPerTokenDType[string(d)] = s.KVBytesPerToken(d)
		r.WeightBytesDType[string(d)] = s.WeightBytes(d)
	}
	l := min(1024, s.MaxContext-1)
	r.DecodeFLOPsCached = s.DecodeFLOPs(l, true)
	r.DecodeFLOPsUncached = s.DecodeFLOPs(l, false)
	return r
}

// ModelRecords is one record per spec (kvsim models --json).
func ModelRecords(specs []model.Spec) []ModelRecord {
	recs := []ModelRecord{}
	for _, s := range specs {
		recs = append(recs, NewModelRecord(s))
	}
	return recs
}
