package decoder

// The element-wise steps of the forward pass, exported so that kvsim/cost
// can time the decoder's own loops when it calibrates this-cpu. Each is the
// function (or loop) forward runs; nothing here is used by the decoder.

// LayerNorm sets y = (x - mean(x)) / √(var(x) + ε) ⊙ g + b (GPT blocks).
func LayerNorm(y, x, g, b []float32) { layerNorm(y, x, g, b) }

// RMSNorm sets y = x / √(mean(x²) + ε) ⊙ g (LLaMA blocks).
func RMSNorm(y, x, g []float32) { rmsNorm(y, x, g) }

// GELU sets u ← gelu(u) in place (GPT MLP, tanh approximation), as the
// activation step does after its bias.
func GELU(u []float32) {
	for j, v := range u {
		u[j] = gelu(v)
	}
}

// SwiGLU sets gate ← silu(gate) ⊙ up over len(gate) values (LLaMA MLP).
func SwiGLU(gate, up []float32) {
	up = up[:len(gate)]
	for j, g := range gate {
		gate[j] = silu(g) * up[j]
	}
}

// Softmax sets x ← softmax(x) in place: attention's step over one row of
// scores.
func Softmax(x []float32) { softmax(x) }

// RoPE rotates one head vector v by the angles whose cosines and sines are
// cos and sin (len(v)/2 each), in the rotate-half layout.
func RoPE(v, cos, sin []float32) { rotate(v, cos, sin) }

// AddTo sets y += x over len(y) values: biases and residuals.
func AddTo(y, x []float32) { addTo(y, x) }
