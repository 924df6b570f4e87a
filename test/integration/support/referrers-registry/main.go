// A registry WITH the OCI 1.1 referrers API, for the attestation tests: go-containerregistry's
// in-memory registry (pkg/registry) with its referrers endpoint turned on. Debian's registry 2.8
// (and distribution v3.0.0) answer 404 there, so they only exercise the referrers tag fallback.
// Listens on 127.0.0.1:PORT (the first argument) until killed; nothing is kept on disk.
package main

import (
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: referrers-registry PORT")
		os.Exit(2)
	}
	listener, err := net.Listen("tcp", "127.0.0.1:"+os.Args[1])
	if err != nil {
		log.Fatal(err)
	}
	server := &http.Server{
		Handler:           registry.New(registry.WithReferrersSupport(true), registry.Logger(log.New(os.Stderr, "", log.LstdFlags))),
		ReadHeaderTimeout: 10 * time.Second,
	}
	log.Fatal(server.Serve(listener))
}
