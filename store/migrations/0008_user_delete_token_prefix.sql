-- A user can be deleted (their sessions and API tokens go with them by
-- ON DELETE CASCADE); their jobs stay, and keep saying who asked:
-- requested_by becomes NULL (ON DELETE SET NULL), requested_by_name keeps
-- the name. It is written when a job is queued and filled here for the
-- jobs queued before; '' for a job the panel itself asked for.
ALTER TABLE jobs ADD COLUMN requested_by_name TEXT NOT NULL DEFAULT '';
UPDATE jobs SET requested_by_name = coalesce((SELECT name FROM users WHERE users.id = jobs.requested_by), '')
    WHERE requested_by IS NOT NULL;

-- The first characters of an API token ("l4m_ab12"), shown in the list
-- so that the right one is revoked. Not a secret: 4 of the 43 random
-- characters (24 of 256 bits). '' for tokens made before this migration.
ALTER TABLE api_tokens ADD COLUMN prefix TEXT NOT NULL DEFAULT '' CHECK (length(prefix) <= 16);
