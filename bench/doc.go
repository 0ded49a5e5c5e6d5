// Package bench holds the benchmarks of varta-go. It is a module of its own
// so that the packages it compares the agent with never enter the library's
// go.mod. See README.md for how to run the benchmarks and read their ratios.
package bench
