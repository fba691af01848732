package cost

import "kvcache/kvsim/model"

// kernelCounts is how many kernels each operation of a layer launches
// under one plan, and how many host calls launch nothing.
type kernelCounts struct {
	rmsNorm, layerNorm int // one norm
	residual           int // one residual add; 0 when fused into the next norm
	qkvRotary          int // projections into attention of a rotary (LLaMA-style) layer
	qkvFused           int // of a GPT or Falcon layer (one fused projection)
	mlaProj            int // MLA: q down/up, kv down/up projections (norms apart)
	rope               int // rotary embedding of q and k together
	kvWrite            int
	attention          int // attention itself: scores, softmax, values, copies
	gqaExpand          int // extra copies when K/V heads are shared (GQA/MQA)
	oProj              int
	swiGLU, gelu       int // a dense MLP
	moeFixed           int // router, top-k, dispatch and combine of a MoE layer
	moePerExpert       int // kernels per expert hit (loops over experts)
	sharedExpert       int // a shared expert's MLP
	embedding          int
	learnedPositions   int // extra kernels when positions are a learned table
	lmHead             int
	hostOpsPerLayer    int // views, reshapes, indexing and module calls that launch nothing
}

// planKernels follows each framework's code; doc.go's "Engines" names it.
var planKernels = map[KernelPlan]kernelCounts{
	HFPlan: {
		rmsNorm: 8, layerNorm: 1, residual: 1, qkvRotary: 3, qkvFused: 1, mlaProj: 4,
		rope: 10, kvWrite: 2, attention: 2, gqaExpand: 2, oProj: 1, swiGLU: 5, gelu: 10,
		moeFixed: 7, moePerExpert: 9, sharedExpert: 5,
		embedding: 1, learnedPositions: 2, lmHead: 1, hostOpsPerLayer: 29,
	},
	PlainPlan: {
		rmsNorm: 8, layerNorm: 1, residual: 1, qkvRotary: 1, qkvFused: 1, mlaProj: 4,
		rope: 18, kvWrite: 2, attention: 6, gqaExpand: 2, oProj: 1, swiGLU: 5, gelu: 3,
		moeFixed: 14, sharedExpert: 5,
		embedding: 1, learnedPositions: 2, lmHead: 1, hostOpsPerLayer: 33,
	},
	CompiledPlan: {
		rmsNorm: 1, layerNorm: 1, residual: 0, qkvRotary: 1, qkvFused: 1, mlaProj: 4,
		rope: 1, kvWrite: 0, attention: 2, oProj: 1, swiGLU: 4, gelu: 3,
		moeFixed: 8, sharedExpert: 3,
		embedding: 1, learnedPositions: 0, lmHead: 1,
	},
	FusedPlan: {
		rmsNorm: 1, layerNorm: 1, residual: 0, qkvRotary: 1, qkvFused: 1, mlaProj: 3,
		rope: 1, kvWrite: 1, attention: 1, oProj: 1, swiGLU: 3, gelu: 3,
		moeFixed: 7, sharedExpert: 3,
		embedding: 1, learnedPositions: 1, lmHead: 1, hostOpsPerLayer: 15,
	},
	GGMLPlan: {
		rmsNorm: 2, layerNorm: 3, residual: 1, qkvRotary: 3, qkvFused: 1, mlaProj: 4,
		rope: 2, kvWrite: 2, attention: 4, oProj: 1, swiGLU: 5, gelu: 3,
		moeFixed: 6, moePerExpert: 0, sharedExpert: 5,
		embedding: 1, learnedPositions: 1, lmHead: 1,
	},
}

// normKernels is one norm of the model under the plan.
func (k kernelCounts) norm(s model.Spec) int {
	if s.Norm == model.RMSNorm {
		return k.rmsNorm
	}
	return k.layerNorm
}

// mlp is one dense MLP of the model under the plan.
func (k kernelCounts) mlp(s model.Spec) int {
	if s.Activation == model.SwiGLU {
		return k.swiGLU
	}
	return k.gelu
}
