package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// printVersion prints what the binary was built from, as the Go toolchain
// recorded it (runtime/debug.ReadBuildInfo): the module version, the VCS
// revision and commit time (with "+modified" for a dirty tree) and the Go
// version. A field the build did not record is left out.
func printVersion(w io.Writer) {
	version, revision, at, modified := "(devel)", "", "", false
	goVersion := runtime.Version()
	if info, ok := debug.ReadBuildInfo(); ok {
		if v := info.Main.Version; v != "" {
			version = v
		}
		goVersion = info.GoVersion
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				revision = s.Value
			case "vcs.time":
				at = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	fmt.Fprintf(w, "qwenproxy %s\n", version)
	if revision != "" {
		if modified {
			revision += "+modified"
		}
		fmt.Fprintf(w, "commit    %s\n", revision)
	}
	if at != "" {
		fmt.Fprintf(w, "committed %s\n", at)
	}
	fmt.Fprintf(w, "go        %s\n", goVersion)
}
