// Package addons keeps the add-on sets: named trees of files (SourceMod
// and its plugins, configs, maps as .vpk files) that blueprints stack
// over the game, and each blueprint's ordered list of them.
//
// # Layout
//
// A set's row (addon_sets) holds its name, its current revision, and the
// size and file count of that revision; blueprint_addon_sets holds each
// blueprint's sets by position, lowest first. The files live under the
// state root R:
//
//	R/addons/SET/revs/REV/left4dead2/<path>   revision REV of set SET
//	R/addons/SET/staging/                     a change being made (one at a time per set)
//
// Paths as users see them are relative to the game's left4dead2/
// directory ("cfg/hostname.cfg", "addons/sourcemod/plugins/x.smx"), so a
// revision directory is a layer an overlay stacks over a game build as it
// is (hostbackend.LayerSet, Manager.Dir).
//
// # Rules
//
//   - A revision never changes once made: a server started on it keeps
//     seeing exactly it (changing a layer under a mounted overlay is
//     undefined in the kernel). Every change (Update, and PutFile,
//     DeleteFile, ExtractArchive over it) clones the current revision into
//     staging/ by hard links, applies itself there (a written file is a new
//     inode under the old name, never a write into a shared one), fsyncs,
//     renames staging/ to the next revs/REV, and then swaps the row's
//     current revision in one statement. Anything failing on the way leaves
//     the set as it was: a change is all or nothing.
//   - Resolve gives a blueprint's sets at their current revisions for a
//     server's start; GC removes the revisions that are neither current nor
//     in the in-use list the caller gives (what running and starting servers
//     have) once they were replaced more than Options.KeepReplaced (10
//     minutes) ago: a start that resolved a revision just before a change
//     still finds it. The time a revision replaced the one before is its
//     directory's modification time; a deleted set's is that of the
//     "deleted" file in its directory.
//   - No symbolic link is followed when writing or reading a set: every
//     path is walked one part at a time from a directory descriptor with
//     O_NOFOLLOW, and no link is ever written.
//   - Uploads are hostile: CheckPath refuses absolute paths, "." and ".."
//     parts, backslashes and control characters; archives (.zip, .tar.gz, .tar)
//     are refused whole, with an *ArchiveError naming the first bad entry,
//     for links, devices, encrypted or duplicate entries, too many
//     entries, an entry expanding more than MaxRatio times, or a set past
//     MaxBytes. Archives are streamed and counted as they expand, so a bomb
//     is stopped, never written whole.
//   - Set names follow the instance-name rule (hostbackend.ValidateName).
//     Errors for users are *store.Error sentences (store.ErrInvalid,
//     ErrNotFound, ErrConflict) or *ArchiveError (matches ErrInvalid).
//   - One process changes sets (the panel, holding store.LockPanel);
//     changes to one set are serialized in it.
//
// The package knows nothing of HTTP: the panel's pages and JSON API call it.
package addons
