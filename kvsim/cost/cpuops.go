package cost

import (
	"fmt"
	"math"
	"slices"
)

// CPUOps are the costs of each class of work the kvsim decoder does, timed
// on this CPU with the decoder's own code (MeasureDecoderKernels). A
// this-cpu preset that carries them is priced operation by operation as
// the decoder runs (see doc.go, "this-cpu"); without them it is priced by
// the roofline like the GPU presets.
//
// Rates of pooled work (matrix products) are for the whole pool; costs of
// work a pool splits by item (attention, element-wise steps) are
// thread-seconds, to be divided by the threads that share it.
type CPUOps struct {
	Threads int `json:"threads"`

	// Matvec is the rate of Pool.MatMul with one input row while the weights
	// cycle through a working set of Bytes (1 MiB matrices), smallest first:
	// where the weights live (L2, L3, DRAM) sets it.
	Matvec []WorkingSetRate `json:"matvec"`
	// Each further input row of a batch, a block of weights being
	// multiplied with every row while it is hot in cache, costs per
	// (rows, cols) matrix rows x (MatmulOutputSeconds + 2 cols / MatmulRowFLOPS).
	MatmulRowFLOPS      float64 `json:"matmul_row_flops"`
	MatmulOutputSeconds float64 `json:"matmul_output_s"`

	// Attention of one query head against P positions of head_dim hd (dot
	// products, scale, softmax, weighted sum of V), in thread-seconds:
	//	item + P x (position + hd x dim)
	AttentionItemSeconds     float64 `json:"attention_item_s"`
	AttentionPositionSeconds float64 `json:"attention_position_s"`
	AttentionDimSeconds      float64 `json:"attention_dim_s"`

	// Element-wise steps, thread-seconds per value. Fresh values were just
	// written by the pool (a matmul's output, half of it by other cores),
	// as the decoder's biases, residuals, RoPE and SwiGLU find them.
	LayerNormSeconds float64 `json:"layernorm_s"` // per value normalised
	RMSNormSeconds   float64 `json:"rmsnorm_s"`
	GELUSeconds      float64 `json:"gelu_s"`      // per value activated (after its bias add)
	SwiGLUSeconds    float64 `json:"swiglu_s"`    // per gate value, fresh: silu(gate) x up
	RoPESeconds      float64 `json:"rope_s"`      // per query or key value rotated, fresh
	AddSeconds       float64 `json:"add_s"`       // per value added, both operands in this core's cache
	AddFreshSeconds  float64 `json:"add_fresh_s"` // per value added to a fresh one
	CopySeconds      float64 `json:"copy_s"`      // per value copied (embedding rows, K/V into the cache)

	// Spread is how far the measurement's rounds disagreed, (slowest -
	// fastest) / median, for the median probe; MaxSpread for the worst,
	// MaxSpreadProbe. A busy machine shows here.
	Spread         float64 `json:"spread"`
	MaxSpread      float64 `json:"max_spread"`
	MaxSpreadProbe string  `json:"max_spread_probe,omitempty"`
	// Noise is the calibration's headline figures over its rounds, with the
	// load meanwhile (Calibration.Noise, carried into the preset).
	Noise *CalibrationNoise `json:"noise,omitempty"`
}

// WorkingSetRate is a rate measured while the data cycled through Bytes.
type WorkingSetRate struct {
	Bytes int64   `json:"bytes"`
	FLOPS float64 `json:"flops"`
}

// Validate checks that every cost is finite and not negative, every rate
// positive, and the working sets ascending.
func (o *CPUOps) Validate() error {
	if o.Threads < 1 {
		return fmt.Errorf("cost: CPU ops measured with %d threads; need at least 1", o.Threads)
	}
	if len(o.Matvec) == 0 {
		return fmt.Errorf("cost: CPU ops have no matrix-vector rate")
	}
	for i, m := range o.Matvec {
		if m.Bytes <= 0 || !positive(m.FLOPS) || (i > 0 && m.Bytes <= o.Matvec[i-1].Bytes) {
			return fmt.Errorf("cost: CPU matrix-vector rate %d (%d bytes, %g FLOP/s): need positive rates over ascending working sets", i, m.Bytes, m.FLOPS)
		}
	}
	if !positive(o.MatmulRowFLOPS) {
		return fmt.Errorf("cost: CPU matmul row rate %g must be positive", o.MatmulRowFLOPS)
	}
	for _, f := range []struct {
		name string
		v    float64
	}{
		{"attention item", o.AttentionItemSeconds}, {"attention position", o.AttentionPositionSeconds},
		{"attention dim", o.AttentionDimSeconds}, {"layernorm", o.LayerNormSeconds}, {"rmsnorm", o.RMSNormSeconds},
		{"gelu", o.GELUSeconds}, {"swiglu", o.SwiGLUSeconds}, {"rope", o.RoPESeconds}, {"add", o.AddSeconds},
		{"fresh add", o.AddFreshSeconds}, {"copy", o.CopySeconds},
		{"matmul output", o.MatmulOutputSeconds}, {"spread", o.Spread}, {"max spread", o.MaxSpread},
	} {
		if f.v < 0 || math.IsNaN(f.v) || math.IsInf(f.v, 0) {
			return fmt.Errorf("cost: CPU %s cost %g s must be finite and not negative", f.name, f.v)
		}
	}
	return nil
}

func positive(v float64) bool { return v > 0 && !math.IsInf(v, 0) }

// MatvecFLOPSAt is the matrix-vector rate for weights cycling through
// bytes: interpolated in seconds per FLOP, linearly in log(bytes), between
// the measured working sets, and held at the ends.
func (o *CPUOps) MatvecFLOPSAt(bytes float64) float64 {
	m := o.Matvec
	i := slices.IndexFunc(m, func(r WorkingSetRate) bool { return float64(r.Bytes) >= bytes })
	switch i {
	case 0:
		return m[0].FLOPS
	case -1:
		return m[len(m)-1].FLOPS
	}
	lo, hi := m[i-1], m[i]
	f := math.Log(bytes/float64(lo.Bytes)) / math.Log(float64(hi.Bytes)/float64(lo.Bytes))
	return 1 / ((1-f)/lo.FLOPS + f/hi.FLOPS)
}

// clone copies the slice so a Hardware shares nothing with its Calibration.
func (o *CPUOps) clone() *CPUOps {
	if o == nil {
		return nil
	}
	c := *o
	c.Matvec = slices.Clone(o.Matvec)
	return &c
}

// String summarises the costs on one line.
func (o *CPUOps) String() string {
	s := fmt.Sprintf("matmul rows %.3g GFLOP/s + %.3g ns/output; matvec", o.MatmulRowFLOPS/1e9, o.MatmulOutputSeconds*1e9)
	for _, m := range o.Matvec {
		s += fmt.Sprintf(" %d MiB %.3g", m.Bytes>>20, m.FLOPS/1e9)
	}
	s += fmt.Sprintf(" GFLOP/s; attention %.3g ns/item + %.3g ns/position + %.3g ns/position/dim; ",
		o.AttentionItemSeconds*1e9, o.AttentionPositionSeconds*1e9, o.AttentionDimSeconds*1e9)
	s += fmt.Sprintf("ns/value: layernorm %.3g rmsnorm %.3g gelu %.3g swiglu %.3g rope %.3g add %.3g fresh add %.3g copy %.3g; rounds spread %.0f%%, at most %.0f%% (%s)",
		o.LayerNormSeconds*1e9, o.RMSNormSeconds*1e9, o.GELUSeconds*1e9, o.SwiGLUSeconds*1e9, o.RoPESeconds*1e9,
		o.AddSeconds*1e9, o.AddFreshSeconds*1e9, o.CopySeconds*1e9, 100*o.Spread, 100*o.MaxSpread, o.MaxSpreadProbe)
	return s
}
