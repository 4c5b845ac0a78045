// Package pdktest holds the tests of the example PDK in testdata/pdk: they
// build it with KLayout in batch mode, inspect the GDS it writes (top cell,
// kfactory-style cell names, hierarchy), check that builds are atomic and
// reproducible, and check the cell-naming rules with plain python3.
//
// The package has no code of its own; see pdk_test.go and docs/readme/pdk.md.
package pdktest
