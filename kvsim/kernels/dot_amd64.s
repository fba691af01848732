#include "textflag.h"

// Dot products with AVX2 and FMA. Every row is summed the same way,
// whichever function computes it: two 8-lane FMA accumulators over blocks of
// 16, the first one over a last block of 8, the sum of the two
// accumulators reduced as (lanes 0-3 + lanes 4-7), then two horizontal
// adds, then a scalar FMA tail. Unaligned loads throughout, so the result
// does not depend on where the vectors sit, nor on whether a row went
// through dotAVX2, dot4AVX2 or streamRowsAVX2.

// REDUCE folds Y(a)+Y(b) into the low float of X(a); X(b) is clobbered.
#define REDUCE(ya, yb, xa, xb) \
	VADDPS       yb, ya, ya \
	VEXTRACTF128 $1, ya, xb \
	VADDPS       xb, xa, xa \
	VHADDPS      xa, xa, xa \
	VHADDPS      xa, xa, xa

// DOT sets the low float of X0 to Σ (SI)[i]·(DI)[i] over i < CX, in the
// order above; AX, BX, Y0, Y1, Y12 and Y13 are clobbered.
#define DOT(l16, t8, red, t1, done) \
	VXORPS Y0, Y0, Y0 \
	VXORPS Y1, Y1, Y1 \
	XORQ   AX, AX \
	MOVQ   CX, BX \
	ANDQ   $-16, BX \
l16: \
	CMPQ        AX, BX \
	JAE         t8 \
	VMOVUPS     (DI)(AX*4), Y12 \
	VMOVUPS     32(DI)(AX*4), Y13 \
	VFMADD231PS (SI)(AX*4), Y12, Y0 \
	VFMADD231PS 32(SI)(AX*4), Y13, Y1 \
	ADDQ        $16, AX \
	JMP         l16 \
t8: \
	MOVQ        CX, BX \
	SUBQ        AX, BX \
	CMPQ        BX, $8 \
	JB          red \
	VMOVUPS     (DI)(AX*4), Y12 \
	VFMADD231PS (SI)(AX*4), Y12, Y0 \
	ADDQ        $8, AX \
red: \
	REDUCE(Y0, Y1, X0, X1) \
t1: \
	CMPQ        AX, CX \
	JAE         done \
	VMOVSS      (DI)(AX*4), X12 \
	VFMADD231SS (SI)(AX*4), X12, X0 \
	INCQ        AX \
	JMP         t1 \
done:

// func dotAVX2(x, y []float32) float32
TEXT ·dotAVX2(SB), NOSPLIT, $0-52
	MOVQ x_base+0(FP), SI
	MOVQ y_base+24(FP), DI
	MOVQ x_len+8(FP), CX
	DOT(loop16, tail8, reduce, tail1, done)
	VZEROUPPER
	MOVSS X0, ret+48(FP)
	RET

// func streamRowsAVX2(out, w []float32, cols int, x []float32)
//
// out[r] = Σ_i w[r·cols+i]·x[i] for r < len(out) and i < cols = len(x),
// one row after the other (W is read front to back), each summed as dotAVX2.
TEXT ·streamRowsAVX2(SB), NOSPLIT, $0-80
	MOVQ out_base+0(FP), R8
	MOVQ out_len+8(FP), R9
	MOVQ w_base+24(FP), SI
	MOVQ cols+48(FP), CX
	MOVQ x_base+56(FP), DI
	MOVQ CX, R10
	SHLQ $2, R10
	XORQ R11, R11

rows:
	CMPQ  R11, R9
	JAE   rowsdone
	DOT(rloop16, rtail8, rreduce, rtail1, rdone)
	MOVSS X0, (R8)(R11*4)
	ADDQ  R10, SI
	INCQ  R11
	JMP   rows

rowsdone:
	VZEROUPPER
	RET

// func dot4AVX2(w []float32, stride int, x []float32, out *[4]float32)
//
// out[r] = Σ_i w[r·stride+i]·x[i] for r < 4 and i < len(x): four rows
// against one vector, each load of x serving four FMAs.
TEXT ·dot4AVX2(SB), NOSPLIT, $0-64
	MOVQ w_base+0(FP), SI
	MOVQ stride+24(FP), DX
	MOVQ x_base+32(FP), DI
	MOVQ x_len+40(FP), CX
	SHLQ $2, DX
	LEAQ (SI)(DX*1), R8
	LEAQ (R8)(DX*1), R9
	LEAQ (R9)(DX*1), R10
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	XORQ   AX, AX
	MOVQ   CX, BX
	ANDQ   $-16, BX

loop16x4:
	CMPQ        AX, BX
	JAE         tail8x4
	VMOVUPS     (DI)(AX*4), Y12
	VMOVUPS     32(DI)(AX*4), Y13
	VFMADD231PS (SI)(AX*4), Y12, Y0
	VFMADD231PS 32(SI)(AX*4), Y13, Y1
	VFMADD231PS (R8)(AX*4), Y12, Y2
	VFMADD231PS 32(R8)(AX*4), Y13, Y3
	VFMADD231PS (R9)(AX*4), Y12, Y4
	VFMADD231PS 32(R9)(AX*4), Y13, Y5
	VFMADD231PS (R10)(AX*4), Y12, Y6
	VFMADD231PS 32(R10)(AX*4), Y13, Y7
	ADDQ        $16, AX
	JMP         loop16x4

tail8x4:
	MOVQ        CX, BX
	SUBQ        AX, BX
	CMPQ        BX, $8
	JB          reducex4
	VMOVUPS     (DI)(AX*4), Y12
	VFMADD231PS (SI)(AX*4), Y12, Y0
	VFMADD231PS (R8)(AX*4), Y12, Y2
	VFMADD231PS (R9)(AX*4), Y12, Y4
	VFMADD231PS (R10)(AX*4), Y12, Y6
	ADDQ        $8, AX

reducex4:
	REDUCE(Y0, Y1, X0, X1)
	REDUCE(Y2, Y3, X2, X3)
	REDUCE(Y4, Y5, X4, X5)
	REDUCE(Y6, Y7, X6, X7)

tail1x4:
	CMPQ        AX, CX
	JAE         donex4
	VMOVSS      (DI)(AX*4), X12
	VFMADD231SS (SI)(AX*4), X12, X0
	VFMADD231SS (R8)(AX*4), X12, X2
	VFMADD231SS (R9)(AX*4), X12, X4
	VFMADD231SS (R10)(AX*4), X12, X6
	INCQ        AX
	JMP         tail1x4

donex4:
	VZEROUPPER
	MOVQ  out+56(FP), R11
	MOVSS X0, 0(R11)
	MOVSS X2, 4(R11)
	MOVSS X4, 8(R11)
	MOVSS X6, 12(R11)
	RET

// func axpyAVX2(alpha float32, x, y []float32)
//
// y[i] = fma(alpha, x[i], y[i]) for i < len(x).
TEXT ·axpyAVX2(SB), NOSPLIT, $0-56
	VBROADCASTSS alpha+0(FP), Y15
	MOVQ         x_base+8(FP), SI
	MOVQ         x_len+16(FP), CX
	MOVQ         y_base+32(FP), DI
	XORQ         AX, AX
	MOVQ         CX, BX
	ANDQ         $-16, BX

axpy16:
	CMPQ        AX, BX
	JAE         axpy8
	VMOVUPS     (DI)(AX*4), Y0
	VMOVUPS     32(DI)(AX*4), Y1
	VFMADD231PS (SI)(AX*4), Y15, Y0
	VFMADD231PS 32(SI)(AX*4), Y15, Y1
	VMOVUPS     Y0, (DI)(AX*4)
	VMOVUPS     Y1, 32(DI)(AX*4)
	ADDQ        $16, AX
	JMP         axpy16

axpy8:
	MOVQ        CX, BX
	SUBQ        AX, BX
	CMPQ        BX, $8
	JB          axpy1
	VMOVUPS     (DI)(AX*4), Y0
	VFMADD231PS (SI)(AX*4), Y15, Y0
	VMOVUPS     Y0, (DI)(AX*4)
	ADDQ        $8, AX

axpy1:
	CMPQ        AX, CX
	JAE         axpydone
	VMOVSS      (DI)(AX*4), X0
	VFMADD231SS (SI)(AX*4), X15, X0
	VMOVSS      X0, (DI)(AX*4)
	INCQ        AX
	JMP         axpy1

axpydone:
	VZEROUPPER
	RET

// func axpyRowsAVX2(y, alpha, x []float32, stride int)
//
// y[i] = fma(alpha[t], x[t·stride+i], y[i]) for t = 0, 1, ... len(alpha)-1 in
// turn and i < len(y): the same roundings as len(alpha) calls of axpyAVX2,
// with y held in registers over t (64 values at a time, then 8, then 1).
TEXT ·axpyRowsAVX2(SB), NOSPLIT, $0-80
	MOVQ y_base+0(FP), DI
	MOVQ y_len+8(FP), CX
	MOVQ alpha_base+24(FP), R8
	MOVQ alpha_len+32(FP), R9
	MOVQ x_base+48(FP), SI
	MOVQ stride+72(FP), DX
	SHLQ $2, DX
	XORQ AX, AX                // column
	MOVQ CX, BX
	ANDQ $-64, BX

cols64:
	CMPQ    AX, BX
	JAE     cols8
	VMOVUPS (DI)(AX*4), Y0
	VMOVUPS 32(DI)(AX*4), Y1
	VMOVUPS 64(DI)(AX*4), Y2
	VMOVUPS 96(DI)(AX*4), Y3
	VMOVUPS 128(DI)(AX*4), Y4
	VMOVUPS 160(DI)(AX*4), Y5
	VMOVUPS 192(DI)(AX*4), Y6
	VMOVUPS 224(DI)(AX*4), Y7
	LEAQ    (SI)(AX*4), R10
	XORQ    R11, R11

terms64:
	CMPQ         R11, R9
	JAE          store64
	VBROADCASTSS (R8)(R11*4), Y15
	VFMADD231PS  (R10), Y15, Y0
	VFMADD231PS  32(R10), Y15, Y1
	VFMADD231PS  64(R10), Y15, Y2
	VFMADD231PS  96(R10), Y15, Y3
	VFMADD231PS  128(R10), Y15, Y4
	VFMADD231PS  160(R10), Y15, Y5
	VFMADD231PS  192(R10), Y15, Y6
	VFMADD231PS  224(R10), Y15, Y7
	ADDQ         DX, R10
	INCQ         R11
	JMP          terms64

store64:
	VMOVUPS Y0, (DI)(AX*4)
	VMOVUPS Y1, 32(DI)(AX*4)
	VMOVUPS Y2, 64(DI)(AX*4)
	VMOVUPS Y3, 96(DI)(AX*4)
	VMOVUPS Y4, 128(DI)(AX*4)
	VMOVUPS Y5, 160(DI)(AX*4)
	VMOVUPS Y6, 192(DI)(AX*4)
	VMOVUPS Y7, 224(DI)(AX*4)
	ADDQ    $64, AX
	JMP     cols64

cols8:
	MOVQ CX, BX
	ANDQ $-8, BX

cols8loop:
	CMPQ    AX, BX
	JAE     cols1
	VMOVUPS (DI)(AX*4), Y0
	LEAQ    (SI)(AX*4), R10
	XORQ    R11, R11

terms8:
	CMPQ         R11, R9
	JAE          store8
	VBROADCASTSS (R8)(R11*4), Y15
	VFMADD231PS  (R10), Y15, Y0
	ADDQ         DX, R10
	INCQ         R11
	JMP          terms8

store8:
	VMOVUPS Y0, (DI)(AX*4)
	ADDQ    $8, AX
	JMP     cols8loop

cols1:
	CMPQ   AX, CX
	JAE    axpyrowsdone
	VMOVSS (DI)(AX*4), X0
	LEAQ   (SI)(AX*4), R10
	XORQ   R11, R11

terms1:
	CMPQ        R11, R9
	JAE         store1
	VMOVSS      (R8)(R11*4), X15
	VFMADD231SS (R10), X15, X0
	ADDQ        DX, R10
	INCQ        R11
	JMP         terms1

store1:
	VMOVSS X0, (DI)(AX*4)
	INCQ   AX
	JMP    cols1

axpyrowsdone:
	VZEROUPPER
	RET
