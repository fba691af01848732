package main

import (
	"strings"

	"kvcache/kvsim/cost"
	"kvcache/kvsim/model"
	"kvcache/kvsim/report"
	"kvcache/kvsim/study"
)

const predictUsage = `Usage: kvsim predict --model NAME --hardware NAME --context L [--batch B] [--dtype bf16] [--engine NAME] [--tp T] [--json]
       kvsim predict --all --hardware NAME|all --context L [...]

Predicts a decode step with and without a KV cache, the prefill and the cache capacity
with a roofline model and an engine's execution profile (see kvsim/cost), each time
with the band the published validation gives it (kvsim validate).

`

func runPredict(args []string, e *env) error {
	f := newFlags("predict", predictUsage)
	modelName := f.String("model", "", "model `NAME` from the catalog (kvsim models)")
	all := f.Bool("all", false, "predict every catalog model (one row each) instead of --model")
	hwName := f.String("hardware", "", "hardware `NAME` (kvsim hardware), or all with --all")
	context := f.Int("context", 0, "tokens before the new one (`L`); the prefill is a prompt of L tokens")
	batch := f.Int("batch", 1, "requests decoded together (`B`)")
	dtype := f.String("dtype", "", "weights, KV cache and compute `type`: fp32, fp16, bf16, fp8, int8 (default: bf16 on GPUs, fp16 on m2-max, fp32 on this-cpu)")
	exec := f.String("exec", "", "kernel launches, an alias of an engine: eager (pytorch-eager) or graph (vllm)")
	engine := f.String("engine", "", "execution profile `NAME` (kvsim engines; default: vllm, or kvsim-decoder on this-cpu)")
	tp := f.Int("tp", 0, "tensor-parallel devices `T` (default: the fewest that fit)")
	fraction := f.Float64("memory-fraction", 0, "share of device memory the engine may use (default: the engine's, e.g. vllm 0.9)")
	expertParallel := f.Bool("expert-parallel", false, "MoE: place whole experts on each device instead of sharding every expert")
	allowLong := f.Bool("allow-long", false, "allow a context beyond the model's trained maximum")
	asJSON := f.Bool("json", false, "print JSON (an array with --all)")
	modelFile := addModelFileFlag(f)
	hwFile := addHardwareFileFlag(f)
	if _, err := f.parse(args, e, 0, "name the model with --model"); err != nil {
		return err
	}
	switch {
	case *all && *modelName != "":
		return usagef("give --model NAME or --all, not both")
	case !*all && *modelName == "":
		return usagef("give --model NAME (kvsim models lists them) or --all")
	case *hwName == "" && *hwFile != "":
		return usagef("--hardware-file adds devices; name the one to predict on with --hardware NAME")
	case *hwName == "":
		return usagef("give --hardware NAME; presets: %s", strings.Join(cost.HardwareNames(), ", "))
	case !*all && strings.EqualFold(*hwName, "all"):
		return usagef("--hardware all predicts on every device for every model: add --all, or name one device")
	case !f.given["context"]:
		return usagef("give --context L, the tokens before the new one (e.g. --context 1024)")
	case f.given["tp"] && *tp < 1:
		return usagef("--tp must be 1 or more devices, got %d", *tp)
	case f.given["memory-fraction"] && !(*fraction > 0 && *fraction <= 1):
		return usagef("--memory-fraction must be in (0, 1], got %g", *fraction)
	case *context >= cost.MaxContextTokens:
		return usagef("--context %d is beyond what kvsim can size (at most %d tokens)", *context, cost.MaxContextTokens-1)
	case *batch > cost.MaxBatch:
		return usagef("--batch %d is beyond what kvsim can size (at most %d requests)", *batch, cost.MaxBatch)
	}
	if err := atLeast(minimum{"context", *context, 1}, minimum{"batch", *batch, 1}); err != nil {
		return err
	}
	opt, err := study.EngineOptions(*exec, *engine)
	if err != nil {
		return settingsError(err)
	}
	opt.TP, opt.MemoryFraction, opt.AllowLongContext, opt.ExpertParallel = *tp, *fraction, *allowLong, *expertParallel
	if *dtype != "" {
		if opt.DType, err = model.ParseDType(*dtype); err != nil {
			return usagef("%v", err)
		}
	}
	cat, err := model.LoadCatalog(*modelFile)
	if err != nil {
		return err
	}
	own, err := loadHardware(*hwFile)
	if err != nil {
		return err
	}
	cal := cost.NewCalibrator(nil)
	var hardware []cost.Hardware
	if *all && strings.EqualFold(*hwName, "all") {
		if hardware, err = cost.AllHardware(cal); err != nil {
			return err
		}
		hardware = append(hardware, own...)
	} else {
		h, err := cost.LookupHardwareIn(*hwName, own, cal)
		if err != nil {
			return err
		}
		hardware = []cost.Hardware{h}
	}
	if !*all {
		spec, err := cat.Lookup(*modelName)
		if err != nil {
			return err
		}
		if *expertParallel && spec.MoE == nil {
			return usagef("--expert-parallel places a mixture-of-experts model's experts; %s has none", spec.Name)
		}
		pr, err := study.PredictAt(spec, hardware[0], opt, *context, *batch)
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(e, pr)
		}
		return report.WritePrediction(e.stdout, pr, hardware[0])
	}
	rows := study.PredictAll(cat.Specs(), hardware, opt, *context, *batch)
	if *asJSON {
		return writeJSON(e, report.PredictionRowsJSON(rows))
	}
	return report.PredictionTable(rows, *context, *batch, opt).WriteText(e.stdout)
}
