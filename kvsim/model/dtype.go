package model

import (
	"fmt"
	"strings"
)

// DType is a storage format for weights or cached K/V values.
type DType string

// Data types.
const (
	FP32 DType = "fp32"
	FP16 DType = "fp16"
	BF16 DType = "bf16"
	FP8  DType = "fp8"
	INT8 DType = "int8"
	INT4 DType = "int4"
)

// DTypes lists every data type, widest first.
func DTypes() []DType { return []DType{FP32, FP16, BF16, FP8, INT8, INT4} }

// Bits is the storage width of one value.
func (d DType) Bits() int {
	switch d {
	case FP32:
		return 32
	case FP16, BF16:
		return 16
	case FP8, INT8:
		return 8
	case INT4:
		return 4
	}
	return 0
}

// ParseDType reads a data type name such as "bf16" or "float16".
func ParseDType(s string) (DType, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "fp32", "float32", "f32":
		return FP32, nil
	case "fp16", "float16", "f16", "half":
		return FP16, nil
	case "bf16", "bfloat16":
		return BF16, nil
	case "fp8", "float8", "e4m3":
		return FP8, nil
	case "int8", "i8":
		return INT8, nil
	case "int4", "i4":
		return INT4, nil
	}
	return "", fmt.Errorf("model: unknown dtype %q: use one of fp32, fp16, bf16, fp8, int8, int4", s)
}

// bitsToBytes converts a bit count to bytes, rounding a partial byte up.
func bitsToBytes(bits int64) int64 {
	b := bits / 8
	if bits%8 != 0 {
		b++
	}
	return b
}
