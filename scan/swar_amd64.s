#include "textflag.h"

// func swarMasksSSE2(p *byte, blocks int, anchors, nls *uint64, pat *swarPat)
//
// For each 64-byte block at p: the bit mask of the bytes that, ASCII case
// folded (OR 0x20), equal one of the four single values or fall in the
// range lo…lo+d, into anchors; the mask of the line feeds into nls. SSE2
// only (every amd64 CPU has it).
TEXT ·swarMasksSSE2(SB), NOSPLIT, $0-40
	MOVQ p+0(FP), SI
	MOVQ blocks+8(FP), CX
	MOVQ anchors+16(FP), DI
	MOVQ nls+24(FP), R8
	MOVQ pat+32(FP), AX
	MOVOU 0(AX), X8    // the fold, 0x20
	MOVOU 16(AX), X9   // single 0
	MOVOU 32(AX), X10  // single 1
	MOVOU 48(AX), X11  // single 2
	MOVOU 64(AX), X12  // single 3
	MOVOU 80(AX), X13  // range low
	MOVOU 96(AX), X14  // range width
	MOVOU 112(AX), X7  // '\n'
	TESTQ CX, CX
	JEQ   done

loop:
	XORQ BX, BX
	XORQ DX, DX

#define LANE(off, sh) \
	MOVOU   off(SI), X0; \
	MOVOU   X0, X5; \
	PCMPEQB X7, X5; \
	PMOVMSKB X5, R9; \
	SHLQ    $sh, R9; \
	ORQ     R9, DX; \
	POR     X8, X0; \
	MOVOU   X0, X1; \
	PCMPEQB X9, X1; \
	MOVOU   X0, X2; \
	PCMPEQB X10, X2; \
	POR     X2, X1; \
	MOVOU   X0, X2; \
	PCMPEQB X11, X2; \
	POR     X2, X1; \
	MOVOU   X0, X2; \
	PCMPEQB X12, X2; \
	POR     X2, X1; \
	PSUBB   X13, X0; \
	MOVOU   X0, X2; \
	PMINUB  X14, X2; \
	PCMPEQB X0, X2; \
	POR     X2, X1; \
	PMOVMSKB X1, R10; \
	SHLQ    $sh, R10; \
	ORQ     R10, BX

	LANE(0, 0)
	LANE(16, 16)
	LANE(32, 32)
	LANE(48, 48)

	MOVQ BX, (DI)
	MOVQ DX, (R8)
	ADDQ $64, SI
	ADDQ $8, DI
	ADDQ $8, R8
	DECQ CX
	JNZ  loop

done:
	RET
