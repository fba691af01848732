package study

import (
	"fmt"
	"sync"

	"kvcache/kvsim/cost"
	"kvcache/kvsim/model"
	"kvcache/kvsim/report"
	"kvcache/kvsim/sim"
)

// Devices is how many devices of hw a model runs on, everywhere a model is
// placed on one node (the KV table, the cache study, kvsim replay): the
// fewest on which one request at the model's full context window fits at
// dtype (cost.ChooseTP at context MaxContext-1, batch 1), as the predicted
// latency curves also choose. fits is false when even the node does not
// hold it; tp is then the largest degree the heads allow. The memory is
// the default engine's (vllm: 0.9 of each device); DevicesWith takes
// other options.
func Devices(spec model.Spec, hw cost.Hardware, dtype model.DType) (tp int, fits bool, err error) {
	return DevicesWith(spec, hw, cost.Options{DType: dtype})
}

// DevicesWith is Devices under opt: its dtype, engine and memory fraction.
func DevicesWith(spec model.Spec, hw cost.Hardware, opt cost.Options) (tp int, fits bool, err error) {
	tp, fits, err = cost.ChooseTP(spec, hw, opt, spec.MaxContext-1, 1)
	if err != nil {
		return 0, false, fmt.Errorf("study: %w", err)
	}
	return tp, fits, nil
}

// ServingTimer prices the prefills and decodes of spec on Devices(spec, hw,
// dtype) devices of hw, for the cache simulator, and returns that degree.
// Prompts past the trained window are timed anyway: traces hold them.
func ServingTimer(spec model.Spec, hw cost.Hardware, dtype model.DType) (sim.StepTimer, int, error) {
	return ServingTimerWith(spec, hw, cost.Options{DType: dtype})
}

// ServingTimerWith is ServingTimer under opt (DevicesWith).
func ServingTimerWith(spec model.Spec, hw cost.Hardware, opt cost.Options) (sim.StepTimer, int, error) {
	tp, fits, err := DevicesWith(spec, hw, opt)
	if err != nil {
		return nil, 0, err
	}
	if !fits {
		return nil, tp, badSettings("%s does not fit on %s even with %d devices at %s; pick larger hardware, a smaller model or a smaller KV data type",
			spec.Name, hw.Name, tp, opt.DType)
	}
	opt.TP, opt.AllowLongContext = tp, true
	pred, err := cost.New(spec, hw, opt)
	if err != nil {
		return nil, tp, fmt.Errorf("study: %w", err)
	}
	return &memoTimer{timer: pred.Serving(), prefill: map[[2]int]float64{}, decode: map[[2]int]float64{}}, tp, nil
}

// memoTimer remembers step times: a sweep asks for the same (new, cached)
// prefill split at many capacities, the timed replays of section 5c for
// the same (batch, total context) decode step under each capacity and
// scheduler (a third of their asks), and each answer walks the cost
// model's layers.
type memoTimer struct {
	timer           sim.StepTimer
	mu              sync.Mutex
	prefill, decode map[[2]int]float64
}

func (m *memoTimer) PrefillSeconds(newTokens, cachedTokens int) float64 {
	return m.remembered(m.prefill, [2]int{newTokens, cachedTokens}, m.timer.PrefillSeconds)
}

func (m *memoTimer) DecodeSeconds(batch, totalContext int) float64 {
	return m.remembered(m.decode, [2]int{batch, totalContext}, m.timer.DecodeSeconds)
}

// remembered is price(key) from memo, priced and kept the first time.
func (m *memoTimer) remembered(memo map[[2]int]float64, key [2]int, price func(int, int) float64) float64 {
	m.mu.Lock()
	s, ok := memo[key]
	m.mu.Unlock()
	if !ok {
		s = price(key[0], key[1])
		m.mu.Lock()
		memo[key] = s
		m.mu.Unlock()
	}
	return s
}

// PredictAt is cost.Predict at one context and batch on opt.TP devices, or,
// when opt.TP is 0, on the fewest that fit the cached step there
// (cost.ChooseTP): kvsim predict's answer. Errors are the cost model's.
func PredictAt(spec model.Spec, hw cost.Hardware, opt cost.Options, context, batch int) (cost.Prediction, error) {
	if opt.TP == 0 {
		tp, _, err := cost.ChooseTP(spec, hw, opt, context, batch)
		if err != nil {
			return cost.Prediction{}, err
		}
		opt.TP = tp
	}
	return cost.Predict(spec, hw, opt, context, batch)
}

// PredictAll is kvsim predict --all: PredictAt for every spec on every
// hardware, one row each, a row that cannot be predicted carrying why.
// this-cpu runs kvsim's own decoder, so an engine asked of the GPUs is not
// asked of it.
func PredictAll(specs []model.Spec, hardware []cost.Hardware, opt cost.Options, context, batch int) []report.PredictionRow {
	var rows []report.PredictionRow
	for _, h := range hardware {
		o := opt
		if h.CPU != nil && o.Engine != "" && o.Engine != cost.ThisCPUEngine {
			o.Engine, o.Exec = "", ""
		}
		for _, spec := range specs {
			pr, err := PredictAt(spec, h, o, context, batch)
			rows = append(rows, report.PredictionRow{Prediction: pr, Spec: spec, Hardware: h.Name, Err: err})
		}
	}
	return rows
}

// EngineOptions reads an execution mode (eager or graph, an alias of an
// engine) and an engine name, refusing the two when they disagree.
func EngineOptions(exec, engine string) (cost.Options, error) {
	var opt cost.Options
	if exec != "" {
		mode, err := cost.ParseExecMode(exec)
		if err != nil {
			return opt, badSettings("%v", err)
		}
		opt.Exec = mode
	}
	if engine != "" {
		eng, err := cost.LookupEngine(engine)
		if err != nil {
			return opt, badSettings("%v", err)
		}
		if opt.Exec != "" && opt.Exec != eng.Decode.Exec {
			return opt, badSettings("--exec %s contradicts --engine %s, which runs decode steps %s; give one of them", opt.Exec, eng.Name, eng.Decode.Exec)
		}
		opt.Engine = eng.Name
	}
	return opt, nil
}
