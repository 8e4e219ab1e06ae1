-- What the server's running process was started with: the fingerprint
-- (store.SpecFingerprint, SHA-256 hex) of the instance spec a start or
-- restart job provisioned, written when that job restarted or started
-- the process. '' until then (and for servers started before this
-- migration): the panel does not know, and asks for no restart.
ALTER TABLE servers ADD COLUMN applied_spec TEXT NOT NULL DEFAULT '';
