// Package tracing is the channel through which a build shows its layout
// step by step while it runs.
//
// The channel is a folder named in the build's environment
// (LYWATCH_TRACE), one subfolder per target. The Python module
// lywatch_trace, embedded here and put on the build's PYTHONPATH, writes
// each frame there as a GDS file and then a small JSON record; kfactory's
// and gdsfactory's show() write frames through KFACTORY_SHOW_FUNCTION. A
// Cycle follows the folder of one cycle: it reads each record as it
// appears, hands the newest frame to a show function (never holding the
// build up: a build only ever writes files), and gives the pipeline the
// frames of a build, within the bounds of Limits, when the build is done.
package tracing
