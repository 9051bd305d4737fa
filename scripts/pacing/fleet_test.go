package main

import (
	"strings"
	"testing"
)

func TestFleetCells(t *testing.T) {
	cells := matrix(false, 4)
	withContrast := fleetCells(cells, "127.0.0.1:1", true)
	if len(withContrast) != 2*len(cells) {
		t.Fatalf("%d cells with contrast, want %d", len(withContrast), 2*len(cells))
	}
	for i := 0; i < len(withContrast); i += 2 {
		shared, alone := withContrast[i], withContrast[i+1]
		if shared.Redis == "" || alone.Redis != "" || !strings.HasSuffix(shared.id(), "-redis") || shared.id() == alone.id() {
			t.Fatalf("pair %d: %+v / %+v", i/2, shared, alone)
		}
		if kindLabel(shared) != "apikit + Redis" || kindLabel(alone) != "apikit" {
			t.Fatalf("labels %q %q", kindLabel(shared), kindLabel(alone))
		}
	}
	short := fleetCells(matrix(true, 4), "127.0.0.1:1", false)
	if len(short) != 2 || short[0].W != 16 || short[0].Redis == "" {
		t.Fatalf("CI's fleet cells: %+v, want W 16 known and blind, shared", short)
	}
	// Single-process cells are left as they are.
	if got := fleetCells(matrix(true, 1), "x", true); len(got) != len(matrix(true, 1)) {
		t.Fatalf("single-process cells were doubled: %d", len(got))
	}
}
