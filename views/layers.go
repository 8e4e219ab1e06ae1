package views

import (
	"strconv"

	"github.com/left4me/left4me/hostbackend"
	"github.com/left4me/left4me/store"
)

// LayersPanel is the server page's Layers section: the game build and
// add-on sets the server runs on, those its next start would use, and its
// own writable layer.
type LayersPanel struct {
	Name string
	// Applied is the store.LayersKey the running process started on, ""
	// if unknown or none; Running says the process runs.
	Applied string
	Running bool
	// Next is the store.LayersKey a start would use now; "" when the game
	// is not kept as builds (no layers).
	Next string
	// Stopped: the writable layer may be reset (the unit is stopped or
	// failed and no job of the server is on its way).
	Stopped bool
	// Writable is the writable layer; nil when the backend has none.
	Writable *hostbackend.WritableLayer
	// Error says why the writable layer could not be read.
	Error string
}

// DescribeLayers says a store.LayersKey in words: "game build 100 · add-on
// sets maps (revision 3), competitive (revision 7)".
func DescribeLayers(key string) string {
	build, sets, err := store.ParseLayersKey(key)
	if err != nil || build == "" {
		return "unknown"
	}
	return "game build " + build + " · " + hostbackend.DescribeSets(sets)
}

func fileCount(n int) string {
	if n == 1 {
		return "1 file"
	}
	return strconv.Itoa(n) + " files"
}
