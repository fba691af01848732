// Package notebooks checks the committed notebooks: they carry no outputs,
// so a diff shows code and prose only and no run's results go stale in git.
package notebooks

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// committed are the notebooks in the repository, relative to this folder.
var committed = []string{"../../notebooks/*.ipynb", "../../widgets/testdata/*.ipynb"}

// outputProblems lists what a notebook carries that a committed one must
// not: outputs or execution counts in code cells, saved widget state.
func outputProblems(data []byte) ([]string, error) {
	var nb struct {
		Cells []struct {
			Type           string            `json:"cell_type"`
			Outputs        []json.RawMessage `json:"outputs"`
			ExecutionCount *int              `json:"execution_count"`
		} `json:"cells"`
		Metadata map[string]json.RawMessage `json:"metadata"`
	}
	if err := json.Unmarshal(data, &nb); err != nil {
		return nil, fmt.Errorf("not a notebook: %w", err)
	}
	var found []string
	for i, c := range nb.Cells {
		if c.Type != "code" {
			continue
		}
		if len(c.Outputs) > 0 {
			found = append(found, fmt.Sprintf("cell %d has %d outputs", i, len(c.Outputs)))
		}
		if c.ExecutionCount != nil {
			found = append(found, fmt.Sprintf("cell %d has execution count %d", i, *c.ExecutionCount))
		}
	}
	if _, ok := nb.Metadata["widgets"]; ok {
		found = append(found, "metadata holds saved widget state")
	}
	return found, nil
}

func TestCommittedNotebooksCarryNoOutputs(t *testing.T) {
	var files []string
	for _, pattern := range committed {
		m, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Fatalf("no notebooks found at %v", committed)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		found, err := outputProblems(data)
		if err != nil {
			t.Errorf("%s: %v", f, err)
		}
		for _, p := range found {
			t.Errorf("%s: %s; clear it before committing: jupyter nbconvert --clear-output --inplace %s (or Edit > Clear Outputs of All Cells, then save)", f, p, f)
		}
	}
}

func TestOutputProblems(t *testing.T) {
	for _, tc := range []struct {
		nb   string
		want int
	}{
		{`{"cells": [{"cell_type": "code", "outputs": [], "execution_count": null}, {"cell_type": "markdown"}], "metadata": {}}`, 0},
		{`{"cells": [{"cell_type": "code", "outputs": [{"output_type": "stream"}], "execution_count": 3}], "metadata": {}}`, 2},
		{`{"cells": [{"cell_type": "code", "outputs": []}], "metadata": {"widgets": {}}}`, 1},
	} {
		found, err := outputProblems([]byte(tc.nb))
		if err != nil || len(found) != tc.want {
			t.Errorf("%s: %v %v, want %d problems", tc.nb, found, err, tc.want)
		}
	}
	if _, err := outputProblems([]byte("not json")); err == nil {
		t.Error("garbage accepted")
	}
}
