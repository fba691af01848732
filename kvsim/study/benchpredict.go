package study

import (
	"kvcache/kvsim/cost"
	"kvcache/kvsim/decoder"
	"kvcache/kvsim/model"
)

// BenchPredictor is the this-cpu cost model for spec, calibrated here with
// the decoder's own kernels on threads goroutines (0: one per core; about
// a second): kvsim bench --predict builds it before its run, as a notebook
// would.
func BenchPredictor(spec model.Spec, threads int) (*cost.Predictor, error) {
	hw, err := cost.NewCalibrator(cost.MeasureDecoderKernelsOn(threads)).Hardware()
	if err != nil {
		return nil, err
	}
	return cost.New(spec, hw, cost.Options{})
}

// CompareBench holds pred's price of every decode step (the prefill left
// out) against each path of a bench run: one comparison per path run,
// cached first.
func CompareBench(pred *cost.Predictor, res *decoder.BenchResult) ([]cost.DecodeComparison, error) {
	var out []cost.DecodeComparison
	for _, p := range []struct {
		run    *decoder.PathResult
		cached bool
	}{{res.Cached, true}, {res.Uncached, false}} {
		if p.run == nil {
			continue
		}
		c, err := pred.CompareDecode(res.Prompt, p.cached, p.run.PerTokenS[1:])
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}
