package cost

import (
	"fmt"

	"kvcache/kvsim/model"
)

// Prediction answers "how fast is one decode step of this model here, with
// and without a KV cache?" at one context and batch. Times are nil when the
// step does not fit in memory: a model that does not fit gets no latency.
type Prediction struct {
	Model    string      `json:"model"`
	Hardware string      `json:"hardware"`
	Context  int         `json:"context"`
	Batch    int         `json:"batch"`
	DType    model.DType `json:"dtype"`
	Exec     ExecMode    `json:"exec"`
	Engine   string      `json:"engine"` // execution profile (kvsim engines)
	TP       int         `json:"tp"`

	MemoryFraction float64 `json:"memory_fraction"` // share of device memory the engine may use (of what is left after loading, for tensorrt-llm)
	Fits           bool    `json:"fits"`            // the cached decode step fits
	Note           string  `json:"note,omitempty"`  // why something does not fit

	DecodeCachedSeconds   *float64 `json:"decode_step_s_cached"`
	DecodeUncachedSeconds *float64 `json:"decode_step_s_uncached"`
	Speedup               *float64 `json:"speedup"` // uncached / cached step time
	BoundCached           *Bound   `json:"bound_cached"`
	BoundUncached         *Bound   `json:"bound_uncached"`
	PrefillSeconds        *float64 `json:"prefill_s"` // a prompt of Context tokens per request

	KVBytes        int64 `json:"kv_bytes"`      // the batch's cache after the step, all devices
	WeightsBytes   int64 `json:"weights_bytes"` // all devices
	KVCacheTokens  int64 `json:"kv_cache_tokens"`
	MaxConcurrency int64 `json:"max_concurrency"` // requests of Context+1 tokens the cache holds

	// Bands say how far the validation found this engine's predictions
	// from published measurements in each regime (see Band).
	Bands PredictionBands `json:"bands"`

	Capacity Capacity `json:"capacity"`
	Cached   Step     `json:"cached"`
	Uncached Step     `json:"uncached"`
	Prefill  Step     `json:"prefill"`
}

// Predict prices the cached and uncached decode steps at context (tokens
// before the new one) for batch requests, the prefill of a context-token
// prompt, and the cache capacity. opt.TP of 0 means 1; ChooseTP picks one.
func Predict(spec model.Spec, hw Hardware, opt Options, context, batch int) (Prediction, error) {
	p, err := New(spec, hw, opt)
	if err != nil {
		return Prediction{}, err
	}
	if context < 1 {
		return Prediction{}, fmt.Errorf("cost: context %d must be at least 1 token (the prompt)", context)
	}
	o := p.Options()
	out := Prediction{Model: spec.Name, Hardware: hw.Name, Context: context, Batch: batch,
		DType: o.DType, Exec: o.Exec, Engine: o.Engine, TP: o.TP, MemoryFraction: o.MemoryFraction,
		WeightsBytes: spec.WeightBytes(o.DType)}
	if out.Cached, err = p.Decode(batch, context, true); err != nil {
		return Prediction{}, err
	}
	if out.Uncached, err = p.Decode(batch, context, false); err != nil {
		return Prediction{}, err
	}
	if out.Prefill, err = p.Prefill(batch, context); err != nil {
		return Prediction{}, err
	}
	if out.Capacity, err = p.Capacity(context + 1); err != nil {
		return Prediction{}, err
	}
	out.KVCacheTokens, out.MaxConcurrency = out.Capacity.KVCacheTokens, out.Capacity.MaxConcurrency
	// The whole batch's cache after the step, over all devices.
	kv := float64(batch) * float64(spec.CachedTokens(context+1)) * float64(spec.KVBytesPerToken(o.DType))
	if !(kv < maxBytes) {
		return Prediction{}, fmt.Errorf("cost: batch %d at context %d needs %.3g bytes of KV cache over all devices, more than kvsim can represent (%.3g); use a smaller batch or context",
			batch, context, kv, float64(maxBytes))
	}
	out.KVBytes = bytesOf(kv)
	out.Fits = out.Cached.Fits
	if out.Cached.Fits {
		out.DecodeCachedSeconds, out.BoundCached = ptr(out.Cached.Seconds), ptr(out.Cached.Bound)
	} else {
		out.Note = notFit("the cached decode step", out.Cached.Memory, o.TP)
	}
	if out.Uncached.Fits {
		out.DecodeUncachedSeconds, out.BoundUncached = ptr(out.Uncached.Seconds), ptr(out.Uncached.Bound)
	} else if out.Note == "" {
		out.Note = notFit("the uncached decode step", out.Uncached.Memory, o.TP)
	}
	if out.Prefill.Fits {
		out.PrefillSeconds = ptr(out.Prefill.Seconds)
	}
	if out.Cached.Fits && out.Uncached.Fits {
		out.Speedup = ptr(out.Uncached.Seconds / out.Cached.Seconds)
	}
	if out.Bands, err = bandsFor(o.Engine, out.Cached, out.Uncached, out.Prefill); err != nil {
		return Prediction{}, err
	}
	return out, nil
}

// PredictionBands are the validated bands of a prediction's three times.
type PredictionBands struct {
	DecodeCached   Band `json:"decode_cached"`
	DecodeUncached Band `json:"decode_uncached"` // an uncached step reruns its prefix: the prefill band
	Prefill        Band `json:"prefill"`
}

// bandsFor looks up the bands of a prediction's steps.
func bandsFor(engine string, cached, uncached, prefill Step) (PredictionBands, error) {
	var out PredictionBands
	for _, x := range []struct {
		b  *Band
		st Step
	}{{&out.DecodeCached, cached}, {&out.DecodeUncached, uncached}, {&out.Prefill, prefill}} {
		b, err := PublishedBand(engine, RegimeOf(x.st))
		if err != nil {
			return out, err
		}
		*x.b = b
	}
	return out, nil
}

func notFit(what string, f Footprint, tp int) string {
	return fmt.Sprintf("%s needs %.1f GiB per device (weights %.1f, KV %.1f, activations %.1f) but %d device(s) offer %.1f GiB each at the memory fraction",
		what, gibs(f.TotalBytes), gibs(f.WeightBytes), gibs(f.KVBytes), gibs(f.ActivationBytes), tp, gibs(f.UsableBytes))
}

func gibs(b int64) float64 { return float64(b) / gib }

// ChooseTP returns the smallest tensor-parallel degree (1, 2, 4, ... up to
// the node size, skipping degrees the heads do not allow) at which the
// cached decode step at context and batch fits. When none fits it returns
// the largest allowed degree and fits false, so the caller can report why.
func ChooseTP(spec model.Spec, hw Hardware, opt Options, context, batch int) (tp int, fits bool, err error) {
	var lastErr error
	for t := 1; t <= max(hw.MaxTP, 1); t *= 2 {
		opt.TP = t
		p, err := New(spec, hw, opt)
		if err != nil {
			lastErr = err
			continue
		}
		st, err := p.Decode(batch, context, true)
		if err != nil {
			return 0, false, err
		}
		tp = t
		if st.Fits {
			return t, true, nil
		}
	}
	if tp == 0 {
		return 0, false, lastErr
	}
	return tp, false, nil
}

func ptr[T any](v T) *T { return &v }
