package addons

import (
	"bytes"
	"fmt"
	"path"
	"strings"
	"unicode/utf8"

	"github.com/left4me/left4me/store"
)

// MaxTextBytes is the largest file the panel lets a browser edit.
const MaxTextBytes = 1 << 20

// textExtensions are the kinds of files that are text in a Source game's
// tree: configs, lists, KeyValues, SourcePawn sources, VScripts, docs.
var textExtensions = map[string]bool{
	".cfg": true, ".txt": true, ".ini": true, ".json": true, ".vdf": true,
	".res": true, ".lst": true, ".kv": true, ".sp": true, ".inc": true,
	".nut": true, ".vmt": true, ".log": true, ".md": true, ".yml": true,
	".yaml": true, ".csv": true, ".conf": true, ".phrases": true,
}

// Editable reports whether a file at p of size bytes may be edited in
// the browser: a text kind by its extension (cfg, txt, ini, json, vdf,
// sp, nut, ...) and at most MaxTextBytes. Its content must still pass
// CheckText.
func Editable(p string, size int64) bool {
	return textExtensions[strings.ToLower(path.Ext(p))] && size <= MaxTextBytes
}

// CheckText checks text to be saved at p from the browser: an editable
// kind of file, at most MaxTextBytes, valid UTF-8 without NUL bytes. The
// error matches store.ErrInvalid and says what is wrong.
func CheckText(p string, data []byte) error {
	switch {
	case !textExtensions[strings.ToLower(path.Ext(p))]:
		return &store.Error{Kind: store.ErrInvalid, Msg: fmt.Sprintf("the file %s is not a text file the panel edits (cfg, txt, ini, json, vdf, sp, nut, ...); upload it instead", p)}
	case len(data) > MaxTextBytes:
		return &store.Error{Kind: store.ErrInvalid, Msg: fmt.Sprintf("the file %s is %d bytes; text edited in the browser may be at most 1 MiB", p, len(data))}
	case !utf8.Valid(data) || bytes.IndexByte(data, 0) >= 0:
		return &store.Error{Kind: store.ErrInvalid, Msg: fmt.Sprintf("the file %s is not plain UTF-8 text; upload it instead", p)}
	}
	return nil
}
