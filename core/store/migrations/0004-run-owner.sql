-- Maskwright project schema, version 4: a training run records which process runs it
-- (pid and host), so that a run left 'running' by a killed process can be told from one that
-- another process (the CLI beside the app) is still running, and be marked failed on the next open.
ALTER TABLE training_run ADD COLUMN owner_pid INTEGER;
ALTER TABLE training_run ADD COLUMN owner_host TEXT;
