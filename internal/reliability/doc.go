// Package reliability holds the SDK's fault, leak, concurrency and
// resource tests: a client talking to a clienttest server through an
// in-process Toxiproxy on loopback, thousands of concurrent calls while a
// key rotates, hostile bodies and files. It has no API; its tests are the
// product. docs/RELIABILITY.md reports what they try and what holds.
package reliability
