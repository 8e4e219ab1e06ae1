-- Whether systemd will start the unit at boot (UnitFileState=enabled), as
-- last read: a server stopped outside the panel but still enabled comes
-- back at the next boot, and the panel says so.
ALTER TABLE servers ADD COLUMN systemd_enabled INTEGER NOT NULL DEFAULT 0 CHECK (systemd_enabled IN (0, 1));
