package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// buildInfo is what the binary was built from, as the Go toolchain recorded
// it (runtime/debug.ReadBuildInfo): the module version, the VCS revision
// ("+modified" for a dirty tree) and commit time, and the Go version. A
// field the build did not record is empty.
type buildInfo struct {
	Version   string `json:"version"`
	Commit    string `json:"commit,omitempty"`
	Committed string `json:"committed,omitempty"`
	Go        string `json:"go"`
}

func readBuildInfo() buildInfo {
	b := buildInfo{Version: "(devel)", Go: runtime.Version()}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return b
	}
	if v := info.Main.Version; v != "" {
		b.Version = v
	}
	b.Go = info.GoVersion
	modified := false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Commit = s.Value
		case "vcs.time":
			b.Committed = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if b.Commit != "" && modified {
		b.Commit += "+modified"
	}
	return b
}

// printVersion prints the build, for people or, asJSON, for scripts.
func printVersion(w io.Writer, asJSON bool) error {
	b := readBuildInfo()
	if asJSON {
		return writeJSON(w, b)
	}
	fmt.Fprintf(w, "qwenproxy %s\n", b.Version)
	if b.Commit != "" {
		fmt.Fprintf(w, "commit    %s\n", b.Commit)
	}
	if b.Committed != "" {
		fmt.Fprintf(w, "committed %s\n", b.Committed)
	}
	fmt.Fprintf(w, "go        %s\n", b.Go)
	return nil
}
