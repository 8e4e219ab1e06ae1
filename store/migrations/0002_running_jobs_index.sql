-- The claim asks "does this server have a running job?" and the rescuer
-- looks for running jobs with an expired lease. Both need an index that
-- holds only running jobs: SQLite does not use jobs_active (state IN
-- (...)) for a plain state = 'running' condition.
CREATE INDEX jobs_running ON jobs (server_name, lease_until) WHERE state = 'running';

-- A server's job list (ListJobs by name, which also finds the jobs of a
-- deleted server).
CREATE INDEX jobs_server_name ON jobs (server_name, id);
