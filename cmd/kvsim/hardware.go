package main

import (
	"fmt"

	"kvcache/kvsim/cost"
	"kvcache/kvsim/report"
)

const hardwareUsage = `Usage: kvsim hardware [NAME] [--json] [--hardware-file FILE]

Lists the hardware presets with their datasheet figures and sources;
this-cpu is measured on this machine with the decoder's own code (about a second).
--hardware-file adds (and checks) your own devices.

`

func runHardware(args []string, e *env) error {
	f := newFlags("hardware", hardwareUsage)
	asJSON := f.Bool("json", false, "print JSON: an array of every preset, or one object for a named preset")
	hwFile := addHardwareFileFlag(f)
	names, err := f.parse(args, e, 1, "give at most one hardware name")
	if err != nil {
		return err
	}
	own, err := loadHardware(*hwFile)
	if err != nil {
		return err
	}
	cal := cost.NewCalibrator(nil)
	if len(names) == 1 {
		h, err := cost.LookupHardwareIn(names[0], own, cal)
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(e, h)
		}
		if err := report.HardwareDetail(h).WriteText(e.stdout); err != nil {
			return err
		}
		_, err = fmt.Fprintf(e.stdout, "\nSource: %s\n", h.Source)
		return err
	}
	all, err := cost.AllHardware(cal)
	if err != nil {
		return err
	}
	all = append(all, own...)
	if *asJSON {
		return writeJSON(e, all)
	}
	return report.WriteHardwareList(e.stdout, all)
}
