package model

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const goodSpec = `{"name": "mine", "layers": 2, "d_model": 64, "heads": 4, "ffn": 128, "vocab": 100,
  "max_context": 64, "norm": "rmsnorm", "activation": "swiglu", "positions": "rope", "attention": "mha"}`

// The model-file inputs of issue 14: each a clear error naming the problem.
func TestLoadFileRefusesBadFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	big := filepath.Join(dir, "big.json")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(MaxModelFileBytes + 1); err != nil { // sparse: no disk used
		t.Fatal(err)
	}
	f.Close()
	cases := []struct{ name, path, want string }{
		{"trailing garbage", write("trail.json", goodSpec+"\n}garbage"), "unexpected text after the JSON value at line 3"},
		{"second object", write("two.json", goodSpec+"\n"+strings.Replace(goodSpec, "mine", "other", 1)), "a second JSON value starts at line 3"},
		{"shadows a preset", write("shadow.json", strings.Replace(goodSpec, `"mine"`, `"GPT-3 175B"`, 1)), "catalog model gpt3-175b; rename it"},
		{"two of one name", write("dup.json", "["+goodSpec+", "+strings.Replace(goodSpec, `"mine"`, `"MINE"`, 1)+"]"), `two models are named "mine" and "MINE"`},
		{"folder without config", dir, "is a folder without config.json"},
		{"too big", big, "beyond the 16777216 a model file may have"},
		{"syntax error", write("syntax.json", "{\n  \"name\": \"x\",\n  \"layers\": 2,,\n}"), "line 3"},
		{"cut short", write("short.json", `{"name": "x", "layers": `), "ends inside a value"},
		{"not an object", write("num.json", `[1, 2]`), "model 1 of 2: want a JSON object"},
		{"second model bad", write("arr.json", "["+goodSpec+`, {"name": "b"}]`), "model 2 of 2"},
	}
	if _, err := os.Stat("/dev/zero"); err == nil {
		cases = append(cases, struct{ name, path, want string }{"device", "/dev/zero", "is not a regular file"})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cat := NewCatalog()
			n := len(cat.Specs())
			err := cat.LoadFile(c.path)
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "model: ") {
				t.Errorf("error %v, want one starting model: and containing %q", err, c.want)
			}
			if len(cat.Specs()) != n {
				t.Errorf("a refused file added %d models", len(cat.Specs())-n)
			}
		})
	}
}

// Every model of an array is read, or none is.
func TestLoadFileIsAllOrNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.json")
	arr := "[" + goodSpec + ", " + strings.Replace(goodSpec, `"mine"`, `"mine2"`, 1) + "]"
	if err := os.WriteFile(path, []byte(arr), 0o644); err != nil {
		t.Fatal(err)
	}
	c := NewCatalog()
	if err := c.LoadFile(path); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"mine", "mine2"} {
		if _, err := c.Lookup(n); err != nil {
			t.Error(err)
		}
	}
	bad := "[" + strings.Replace(goodSpec, `"mine"`, `"first"`, 1) + `, {"name": "b", "layers": -1}]`
	if err := os.WriteFile(path, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := c.LoadFile(path); err == nil {
		t.Fatal("accepted a file with a bad second model")
	}
	if _, err := c.Lookup("first"); err == nil {
		t.Error("the good first model of a refused file was added")
	}
}

// A spec whose sizes would overflow int64 is refused with the limit named;
// the case from issue 14 reported 219.9T parameters instead of 7.4e19.
func TestSizesCannotOverflow(t *testing.T) {
	huge := Spec{Name: "huge", Layers: 1024, DModel: 262144, Heads: 262144, HeadDim: 262144, FFN: 1024, Vocab: 1000,
		MaxContext: 1024, Norm: RMSNorm, Activation: SwiGLU, Positions: RoPE, Attention: MHA}
	err := huge.Normalize()
	if err == nil || !strings.Contains(err.Error(), "7.38e+19 parameters") || !strings.Contains(err.Error(), "2^50") {
		t.Errorf("error %v, want the true 7.38e+19 parameters and the 2^50 limit", err)
	}
	wideKV := Spec{Name: "wide", Layers: 1024, DModel: 64, Heads: 4096, KVHeads: 4096, HeadDim: 1024, FFN: 64, Vocab: 10,
		MaxContext: 64, Norm: RMSNorm, Activation: SwiGLU, Positions: RoPE, Attention: MHA}
	if err := wideKV.Normalize(); err == nil || !strings.Contains(err.Error(), "K/V values") {
		t.Errorf("error %v, want the K/V values limit", err)
	}
	// Sizes that take a token count saturate instead of wrapping.
	s := mustLookup(t, "gpt3-175b")
	for name, v := range map[string]int64{
		"KVBytes":         s.KVBytes(math.MaxInt, FP32),
		"ActivationBytes": s.ActivationBytes(math.MaxInt, FP32),
		"LogitsBytes":     s.LogitsBytes(math.MaxInt, FP32),
	} {
		if v != math.MaxInt64/8+1 && v != math.MaxInt64 {
			t.Errorf("%s(MaxInt) = %d, want saturation", name, v)
		}
	}
	if got := s.KVBytes(2047*2147483647, BF16); got <= 0 {
		t.Errorf("KVBytes of a huge batch x context = %d, must stay positive", got)
	}
}
