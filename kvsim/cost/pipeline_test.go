package cost

import (
	"testing"

	"kvcache/kvsim/model"
)

// kernelByKernel is the launch pipeline as pipeline's doc states it, one
// kernel of one layer at a time, each operation's share recomputed per
// layer: the reference the pipeline's loop must match bit for bit.
func kernelByKernel(p *Predictor, x Execution, head, dense, moe, tail []priced) timing {
	e := p.eng
	issue, hostOp := e.LaunchSeconds, e.HostOpSeconds*float64(planKernels[x.Plan].hostOpsPerLayer)
	host, dev, busy := 0.0, 0.0, 0.0
	if x.Exec == Graph {
		host, issue, hostOp = e.ReplaySeconds, 0, 0
	}
	gap := p.hw.KernelGapSeconds
	run := func(list []priced, layer bool) {
		if layer {
			host += hostOp
		}
		for _, w := range list {
			if w.kernels == 0 {
				dev = max(dev, host) + w.seconds
				busy += w.seconds
				continue
			}
			per := w.seconds/float64(w.kernels) + gap
			for range w.kernels {
				host += issue
				dev = max(dev, host) + per
				busy += per
			}
		}
	}
	run(head, false)
	for range p.spec.DenseLayers() {
		run(dense, true)
	}
	for range p.spec.MoELayers() {
		run(moe, true)
	}
	run(tail, false)
	if e.SyncPerStep {
		return timing{total: e.StepSeconds + dev, stepHost: e.StepSeconds}
	}
	hostWork := e.StepSeconds + host
	if hostWork <= busy {
		return timing{total: busy}
	}
	return timing{total: hostWork, stepHost: min(e.StepSeconds, hostWork-busy)}
}

// TestPipelineMatchesKernelByKernel: every catalog model on every preset
// under every engine, on one device and on the most the node allows (with
// expert parallelism for MoE models), in decode (cached and not, one request and a batch)
// and prefill passes: the pipeline's time equals the kernel-by-kernel
// reference exactly, and so does seconds, which builds each pass in reused
// buffers (passes of different shapes in turn, so a stale buffer shows).
func TestPipelineMatchesKernelByKernel(t *testing.T) {
	all, err := AllHardware(NewCalibrator(fixedCPU))
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, h := range all {
		for _, s := range model.NewCatalog().Specs() {
			for _, e := range Engines() {
				for _, opt := range []Options{{Engine: e.Name, TP: 1}, {Engine: e.Name, TP: maxTP(s, h)},
					{Engine: e.Name, TP: maxTP(s, h), ExpertParallel: s.MoE != nil}} {
					p, err := New(s, h, opt)
					if err != nil {
						continue // an engine that does not run there
					}
					l := float64(min(1000, s.MaxContext-1))
					for _, ps := range []pass{p.decodePass(1, l, true), p.prefillPass(1, 512, 1000), p.decodePass(1, l, false),
						p.decodePass(16, l/2, true), p.decodePass(1, 3, false)} {
						head, dense, moe, tail := p.works(ps)
						want := kernelByKernel(p, p.execution(ps), head, dense, moe, tail)
						if got := p.pipeline(p.execution(ps), head, dense, moe, tail); got != want {
							t.Fatalf("%s on %s under %s, %s pass of %g rows: pipeline %+v, kernel by kernel %+v", s.Name, h.Name, e.Name, ps.phase, ps.rows, got, want)
						}
						if got := p.seconds(ps); got != want.total {
							t.Fatalf("%s on %s under %s, %s pass of %g rows: seconds %v, kernel by kernel %v", s.Name, h.Name, e.Name, ps.phase, ps.rows, got, want.total)
						}
						checked++
					}
				}
			}
		}
	}
	if checked < 1000 {
		t.Errorf("only %d passes checked: the grid lost its models, presets or engines", checked)
	}
}

// maxTP is the largest degree up to the node that s's heads allow, so
// that all-reduces and expert all-to-alls are priced too.
func maxTP(s model.Spec, h Hardware) int {
	for tp := max(h.MaxTP, 1); tp > 1; tp-- {
		if checkTP(s, h, &tp) == nil {
			return tp
		}
	}
	return 1
}
