module github.com/varta-go/varta/bench

go 1.26.0

replace github.com/varta-go/varta => ../

require (
	github.com/coreos/go-systemd/v22 v22.7.0
	github.com/varta-go/varta v0.0.0-00010101000000-000000000000
	golang.org/x/crypto v0.59.0
	golang.org/x/sys v0.50.0
)
