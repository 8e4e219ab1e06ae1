-- What the server's running process was started on: its layers
-- (store.LayersKey: the game build and its blueprint's add-on sets at
-- their revisions, "16548521 maps:3 competitive:7"), written with
-- applied_spec when a start or restart job started the process. '' until
-- then, and for a server started without layers (a game directory not
-- kept as builds): the panel does not know, asks for no restart and keeps
-- no build or revision for it.
ALTER TABLE servers ADD COLUMN applied_layers TEXT NOT NULL DEFAULT '';
