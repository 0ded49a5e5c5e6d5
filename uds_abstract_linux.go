package varta

// abstractNames is true: on Linux a socket path with a leading '@' names an
// abstract socket, which has no file.
const abstractNames = true
