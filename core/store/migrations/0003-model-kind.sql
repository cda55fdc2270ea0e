-- Maskwright project schema, version 3: a model version's kind is one column (it was inferred
-- from config.interactive, an '+clicks' arch suffix and json_extract), and so is a run's.
-- 'segmentation' pre-labels (one is active); 'clicks' refines one object from clicks.
ALTER TABLE model_version ADD COLUMN kind TEXT NOT NULL DEFAULT 'segmentation';
UPDATE model_version SET kind = 'clicks' WHERE COALESCE(json_extract(config, '$.interactive'), 0) <> 0;
ALTER TABLE training_run ADD COLUMN kind TEXT NOT NULL DEFAULT 'segmentation';
UPDATE training_run SET kind = 'clicks' WHERE COALESCE(json_extract(config, '$.model.interactive'), 0) <> 0;
CREATE INDEX model_version_kind_idx ON model_version (kind, id);
