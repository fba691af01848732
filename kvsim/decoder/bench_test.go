package decoder

import (
	"bufio"
	"encoding/binary"
	"flag"
	"fmt"
	"math"
	"os"
	"testing"
)

// BenchmarkDecodeLlama110M measures cached greedy decoding on the
// llama-110m shape (llama2.c's stories110M: dim 768, 12 layers, 12 heads,
// FFN 2048, vocab 32000, tied), cycling through positions 1..255 as
// llama2.c's `run -n 256` does; the tokens/s metric is decode steps per
// second.
//
// Against llama2.c's run.c (gcc -O3 -march=native, greedy, -n 256, random
// weights in its checkpoint format written by TestWriteLlama2cCheckpoint),
// on the 2-core Intel Xeon (Sapphire Rapids, AVX-512, KVM guest) this was
// written on, alternating the two programs, medians of 5 runs each:
//
//	MEASURED_RATIOS
//
// Reproduce (the checkpoint is the decoder's own random weights, seed 1):
//
//	go test -run TestWriteLlama2cCheckpoint ./kvsim/decoder -args -llama2c-out=/tmp/r110.bin
//	git clone https://github.com/karpathy/llama2.c /tmp/llama2.c && cd /tmp/llama2.c
//	gcc -O3 -march=native -o run run.c -lm                   # single-threaded
//	gcc -O3 -march=native -fopenmp -o runomp run.c -lm       # OMP_NUM_THREADS=2
//	./run /tmp/r110.bin -t 0 -n 256 -i ""                    # prints achieved tok/s
//	OMP_NUM_THREADS=2 ./runomp /tmp/r110.bin -t 0 -n 256 -i ""
//	kvsim bench --model llama-110m --cache on --prompt 1 --new 256 --threads 1   # decode tok/s column
//	kvsim bench --model llama-110m --cache on --prompt 1 --new 256 --threads 2
//	go test -run '^$' -bench DecodeLlama110M ./kvsim/decoder
func BenchmarkDecodeLlama110M(b *testing.B) {
	spec := catalogSpec(b, "llama-110m")
	for _, threads := range []int{1, 2} {
		b.Run(fmt.Sprintf("threads=%d", threads), func(b *testing.B) {
			d, err := New(spec, Options{Seed: 1, Threads: threads})
			if err != nil {
				b.Fatal(err)
			}
			defer d.Close()
			const positions = 256
			s, err := d.NewSession(positions, CacheConfig{Enabled: true})
			if err != nil {
				b.Fatal(err)
			}
			logits, _, _ := s.Prefill([]int{1})
			for b.Loop() {
				if s.Len() == positions {
					s.Reset()
					logits, _, _ = s.Prefill([]int{1})
				}
				logits, _, err = s.Next(argmax(logits))
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
		})
	}
}

var llama2cOut = flag.String("llama2c-out", "", "TestWriteLlama2cCheckpoint writes llama-110m's random weights (seed 1) here in llama2.c's checkpoint format")

// TestWriteLlama2cCheckpoint writes the decoder's random llama-110m
// weights in the layout llama2.c's run.c reads: a header of seven int32
// (dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len;
// vocab positive for a shared classifier), then float32 token embedding,
// rms_att, wq, wk, wv, wo, rms_ffn, w1, w2, w3, rms_final, and the unused
// RoPE tables. It runs only when -llama2c-out is given.
func TestWriteLlama2cCheckpoint(t *testing.T) {
	if *llama2cOut == "" {
		t.Skip("give -llama2c-out=FILE to write the checkpoint")
	}
	spec := catalogSpec(t, "llama-110m")
	d := newTestDecoder(t, spec, 0)
	if err := writeLlama2c(*llama2cOut, d); err != nil {
		t.Fatal(err)
	}
}

func writeLlama2c(path string, d *Decoder) error {
	h, w := &d.h, d.w
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	header := []int32{int32(h.dim), int32(h.ffn), int32(h.layers), int32(h.heads), int32(h.kvHeads), int32(h.vocab), int32(h.context)}
	if err := binary.Write(bw, binary.LittleEndian, header); err != nil {
		return err
	}
	put := func(xs ...[]float32) {
		var buf [4]byte
		for _, x := range xs {
			for _, v := range x {
				binary.LittleEndian.PutUint32(buf[:], math.Float32bits(v))
				bw.Write(buf[:])
			}
		}
	}
	// rows of a layer's fused matrix, stacked over layers
	rows := func(m []float32, per, from, to int) []float32 {
		var out []float32
		for l := 0; l < h.layers; l++ {
			out = append(out, m[(l*per+from)*h.dim:(l*per+to)*h.dim]...)
		}
		return out
	}
	put(w.TokenEmbedding, w.AttnNormGain,
		rows(w.QKV, h.qkvDim, 0, h.qDim), rows(w.QKV, h.qkvDim, h.qDim, h.qDim+h.kvDim), rows(w.QKV, h.qkvDim, h.qDim+h.kvDim, h.qkvDim),
		w.Out, w.MLPNormGain,
		rows(w.Up, h.upRows, 0, h.ffn), w.Down, rows(w.Up, h.upRows, h.ffn, 2*h.ffn),
		w.FinalNormGain, make([]float32, h.context*h.headDim))
	if err := bw.Flush(); err != nil {
		return err
	}
	return f.Close()
}
