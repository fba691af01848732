package study_test

import (
	"fmt"

	"kvcache/kvsim/cost"
	"kvcache/kvsim/model"
	"kvcache/kvsim/study"
)

// How much KV memory each model gets, and what it holds: MHA (GPT-3 175B)
// against GQA (LLaMA-3-70B) on H100s at bf16, each on the fewest GPUs that
// hold one request at its full context window.
func ExampleKVFits() {
	cat := model.NewCatalog()
	gpt, _ := cat.Lookup("gpt3-175b")
	llama, _ := cat.Lookup("llama3-70b")
	h100, _ := cost.LookupHardware("h100-sxm", nil)
	fits, err := study.KVFits([]model.Spec{gpt, llama}, h100, model.BF16)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range fits {
		fmt.Printf("%s (%s): %d KiB per token, %.0f bytes per token per billion parameters, %d tokens on %d GPUs\n",
			f.Model, f.Attention, f.KVBytesPerToken/1024, f.KVBytesPerTokenPB, f.NodeKVTokens, f.TP)
	}
	// Output:
	// gpt3-175b (MHA): 4608 KiB per token, 27024 bytes per token per billion parameters, 53564 tokens on 8 GPUs
	// llama3-70b (GQA 8/64): 320 KiB per token, 4644 bytes per token per billion parameters, 30191 tokens on 2 GPUs
}
