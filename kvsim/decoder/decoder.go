package decoder

import (
	"fmt"

	"kvcache/kvsim/kernels"
	"kvcache/kvsim/model"
)

// Options configure a Decoder.
type Options struct {
	Seed         uint64  // seed of the random weights (ignored with WeightsFile)
	WeightsFile  string  // safetensors file, index or folder with GPT-2 or LLaMA (Hugging Face) tensor names; "": random weights
	Threads      int     // goroutines per matmul and attention; 0: one per core
	RoPEBase     float64 // RoPE base θ; 0: the spec's RoPETheta, or 10000 when it has none
	MemAvailable int64   // bytes the memory check allows; 0: sysmem.Available (MemAvailable or the cgroup limit, less a margin)
}

// Decoder is a model ready to run: its architecture, its float32 weights and
// a worker pool. Sessions made from it share the (read-only) weights and
// may run on different goroutines at once; their matmuls take turns on the
// pool. Close it when done.
type Decoder struct {
	h        shape
	w        *Weights
	pool     *kernels.Pool
	ropeBase float64
	memAvail int64
}

// New builds a decoder for spec: random weights from opt.Seed, or the
// tensors of opt.WeightsFile. A model whose weights do not fit in the
// available memory is refused with the bytes it would need.
func New(spec model.Spec, opt Options) (*Decoder, error) {
	h, err := newShape(spec)
	if err != nil {
		return nil, err
	}
	if opt.RoPEBase < 0 {
		return nil, fmt.Errorf("decoder: RoPE base %g must be positive (0: 10000)", opt.RoPEBase)
	}
	if opt.RoPEBase == 0 {
		opt.RoPEBase = spec.RoPETheta
	}
	if opt.RoPEBase == 0 {
		opt.RoPEBase = 10000
	}
	if err := checkMemory(spec.Name, Memory{Weights: WeightBytes(spec), Total: WeightBytes(spec)}, opt.MemAvailable); err != nil {
		return nil, err
	}
	pool, err := kernels.NewPool(opt.Threads)
	if err != nil {
		return nil, fmt.Errorf("decoder: %w", err)
	}
	d := &Decoder{h: h, pool: pool, ropeBase: opt.RoPEBase, memAvail: opt.MemAvailable}
	if opt.WeightsFile != "" {
		d.w, err = loadSafetensors(opt.WeightsFile, &d.h)
		if err != nil {
			pool.Close()
			return nil, err
		}
	} else {
		d.w = randomWeights(h, opt.Seed, pool.Threads())
	}
	// Every step streams the weights from memory; huge pages spare the TLB.
	for _, t := range d.w.tensors(h) {
		kernels.PreferHugePages(*t.data)
	}
	return d, nil
}

// Close stops the worker pool.
func (d *Decoder) Close() { d.pool.Close() }

// Spec is the decoder's architecture.
func (d *Decoder) Spec() model.Spec { return d.h.spec }

// Threads is the number of goroutines each matmul uses.
func (d *Decoder) Threads() int { return d.pool.Threads() }

// Weights returns the decoder's parameters (shared, not a copy).
func (d *Decoder) Weights() *Weights { return d.w }

// WeightBytes is the float32 memory of spec's parameters:
// 4 × model.Spec.TotalParams (a tied LM head is stored once).
func WeightBytes(spec model.Spec) int64 { return 4 * spec.TotalParams() }

// SessionMemory is what NewSession allocates for maxTokens positions with
// cache c on a decoder of the given thread count.
func SessionMemory(spec model.Spec, maxTokens int, c CacheConfig, threads int) (Memory, error) {
	h, err := newShape(spec)
	if err != nil {
		return Memory{}, err
	}
	capacity, _, err := c.check(maxTokens)
	if err != nil {
		return Memory{}, err
	}
	m := Memory{
		KVCache:    int64(capacity) * spec.KVBytesPerToken(model.FP32),
		Activation: runStateBytes(&h, maxTokens, maxTokens, max(1, threads)),
	}
	m.Total = m.KVCache + m.Activation
	return m, nil
}
