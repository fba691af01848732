#include "textflag.h"

// A 4-row by 6-token tile of a batched product with AVX-512 (F, DQ, VL):
// 24 accumulators stay in registers while each 16-float block of the four
// rows is loaded once for six tokens. A 16-lane accumulator is dotAVX2's
// pair of 8-lane accumulators side by side (lanes 0-7 sum the first half
// of every 16-block, lanes 8-15 the second), and it is reduced as dotAVX2
// reduces that pair, so every output has dotAVX2's bits. Only row lengths
// that are a multiple of 16 come here (dotAVX2 has no tail then).

// TOKEN multiplies the four rows (Z0-Z3) by token xp's block into a0-a3.
#define TOKEN(xp, a0, a1, a2, a3) \
	VMOVUPS     (xp)(AX*4), Z4 \
	VFMADD231PS Z0, Z4, a0 \
	VFMADD231PS Z1, Z4, a1 \
	VFMADD231PS Z2, Z4, a2 \
	VFMADD231PS Z3, Z4, a3

// SUM stores Σ lanes of accumulator z (low half y) at dst, as dotAVX2's
// REDUCE: (lanes 0-7 + lanes 8-15), then halves, then two horizontal adds.
#define SUM(z, y, dst) \
	VEXTRACTF32X8 $1, z, Y5 \
	VADDPS        Y5, y, Y6 \
	VEXTRACTF128  $1, Y6, X7 \
	VADDPS        X7, X6, X6 \
	VHADDPS       X6, X6, X6 \
	VHADDPS       X6, X6, X6 \
	VMOVSS        X6, dst

// SUMROW stores the four rows' sums of one token at (SI) and moves SI to
// the next token's outputs.
#define SUMROW(a0, a1, a2, a3, y0, y1, y2, y3) \
	SUM(a0, y0, (SI)) \
	SUM(a1, y1, 4(SI)) \
	SUM(a2, y2, 8(SI)) \
	SUM(a3, y3, 12(SI)) \
	ADDQ BX, SI

// func tile4x6AVX512(w []float32, cols int, x []float32, xStride int, out []float32, outStride int)
//
// out[t·outStride+r] = Σ_i w[r·cols+i]·x[t·xStride+i] for r < 4, t < 6,
// i < cols; cols is a multiple of 16.
TEXT ·tile4x6AVX512(SB), NOSPLIT, $0-96
	MOVQ w_base+0(FP), SI
	MOVQ cols+24(FP), BX
	MOVQ x_base+32(FP), DI
	MOVQ xStride+56(FP), R13
	SHLQ $2, R13
	LEAQ (SI)(BX*4), R8
	LEAQ (R8)(BX*4), R9
	LEAQ (R9)(BX*4), R10
	LEAQ (DI)(R13*1), DX
	LEAQ (DX)(R13*1), CX
	LEAQ (CX)(R13*1), R11
	LEAQ (R11)(R13*1), R12
	ADDQ R12, R13
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	VPXORD Z10, Z10, Z10
	VPXORD Z11, Z11, Z11
	VPXORD Z12, Z12, Z12
	VPXORD Z13, Z13, Z13
	VPXORD Z14, Z14, Z14
	VPXORD Z15, Z15, Z15
	VPXORD Z16, Z16, Z16
	VPXORD Z17, Z17, Z17
	VPXORD Z18, Z18, Z18
	VPXORD Z19, Z19, Z19
	VPXORD Z20, Z20, Z20
	VPXORD Z21, Z21, Z21
	VPXORD Z22, Z22, Z22
	VPXORD Z23, Z23, Z23
	VPXORD Z24, Z24, Z24
	VPXORD Z25, Z25, Z25
	VPXORD Z26, Z26, Z26
	VPXORD Z27, Z27, Z27
	VPXORD Z28, Z28, Z28
	VPXORD Z29, Z29, Z29
	VPXORD Z30, Z30, Z30
	VPXORD Z31, Z31, Z31
	XORQ   AX, AX

blocks:
	CMPQ    AX, BX
	JAE     sums
	VMOVUPS (SI)(AX*4), Z0
	VMOVUPS (R8)(AX*4), Z1
	VMOVUPS (R9)(AX*4), Z2
	VMOVUPS (R10)(AX*4), Z3
	TOKEN(DI, Z8, Z9, Z10, Z11)
	TOKEN(DX, Z12, Z13, Z14, Z15)
	TOKEN(CX, Z16, Z17, Z18, Z19)
	TOKEN(R11, Z20, Z21, Z22, Z23)
	TOKEN(R12, Z24, Z25, Z26, Z27)
	TOKEN(R13, Z28, Z29, Z30, Z31)
	ADDQ    $16, AX
	JMP     blocks

sums:
	MOVQ out_base+64(FP), SI
	MOVQ outStride+88(FP), BX
	SHLQ $2, BX
	SUMROW(Z8, Z9, Z10, Z11, Y8, Y9, Y10, Y11)
	SUMROW(Z12, Z13, Z14, Z15, Y12, Y13, Y14, Y15)
	SUMROW(Z16, Z17, Z18, Z19, Y16, Y17, Y18, Y19)
	SUMROW(Z20, Z21, Z22, Z23, Y20, Y21, Y22, Y23)
	SUMROW(Z24, Z25, Z26, Z27, Y24, Y25, Y26, Y27)
	SUMROW(Z28, Z29, Z30, Z31, Y28, Y29, Y30, Y31)
	VZEROUPPER
	RET
