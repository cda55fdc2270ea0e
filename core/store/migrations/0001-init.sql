-- Maskwright project schema, version 1.
-- One project per database file (project.sqlite inside the project folder).

CREATE TABLE project (
  id          TEXT PRIMARY KEY,                 -- uuid
  name        TEXT NOT NULL,
  created_at  TEXT NOT NULL,
  settings    TEXT NOT NULL DEFAULT '{}'        -- JSON
);

CREATE TABLE label_class (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL,
  color       TEXT NOT NULL,                    -- #rrggbb
  idx         INTEGER NOT NULL CHECK (idx BETWEEN 1 AND 65535), -- value in semantic masks; 0 = background
  hidden      INTEGER NOT NULL DEFAULT 0 CHECK (hidden IN (0, 1)),
  locked      INTEGER NOT NULL DEFAULT 0 CHECK (locked IN (0, 1)),
  sort_order  INTEGER NOT NULL DEFAULT 0,
  UNIQUE (idx),
  UNIQUE (name)
);

CREATE TABLE image (
  id            INTEGER PRIMARY KEY,
  file_name     TEXT NOT NULL,
  path          TEXT NOT NULL,                  -- absolute, or relative to the project folder when storage = 'copy'
  storage       TEXT NOT NULL CHECK (storage IN ('reference', 'copy')),
  content_hash  TEXT NOT NULL UNIQUE,           -- sha256 of the file bytes
  size_bytes    INTEGER NOT NULL,
  format        TEXT NOT NULL,
  width         INTEGER NOT NULL CHECK (width > 0),
  height        INTEGER NOT NULL CHECK (height > 0),
  bit_depth     INTEGER NOT NULL,
  channels      INTEGER NOT NULL,
  orientation   INTEGER NOT NULL DEFAULT 1,
  status        TEXT NOT NULL DEFAULT 'unlabeled' CHECK (status IN ('unlabeled', 'in_progress', 'done', 'reviewed')),
  thumb_path    TEXT,                           -- relative to the project folder
  added_at      TEXT NOT NULL,
  updated_at    TEXT NOT NULL
);
CREATE INDEX image_status_idx ON image (status, id);
CREATE INDEX image_name_idx ON image (file_name COLLATE NOCASE, id);

-- The person's mask for an image. label_map is the current state (core/mask label-map blob:
-- instance ids + instance table), rewritten by every autosave; annotation_revision keeps
-- snapshots at milestones (import, accepting a model proposal, marking done/reviewed).
CREATE TABLE annotation (
  id              INTEGER PRIMARY KEY,
  image_id        INTEGER NOT NULL UNIQUE REFERENCES image (id) ON DELETE CASCADE,
  label_map       BLOB NOT NULL,
  version         INTEGER NOT NULL DEFAULT 1,   -- bumped by every save (optimistic concurrency)
  time_spent_ms   INTEGER NOT NULL DEFAULT 0,
  edit_count      INTEGER NOT NULL DEFAULT 0,
  updated_at      TEXT NOT NULL
);

CREATE TABLE annotation_revision (
  id              INTEGER PRIMARY KEY,
  annotation_id   INTEGER NOT NULL REFERENCES annotation (id) ON DELETE CASCADE,
  source          TEXT NOT NULL CHECK (source IN ('human', 'model', 'import')),
  reason          TEXT NOT NULL,                -- 'import' | 'accept-proposal' | 'status:done' | ...
  label_map       BLOB NOT NULL,
  created_at      TEXT NOT NULL
);
CREATE INDEX annotation_revision_annotation_idx ON annotation_revision (annotation_id, id);

-- Persisted undo/redo history of the editor, per image (core/editor history entries: tile patches).
CREATE TABLE undo_entry (
  image_id    INTEGER NOT NULL REFERENCES image (id) ON DELETE CASCADE,
  stack       TEXT NOT NULL CHECK (stack IN ('undo', 'redo')),
  seq         INTEGER NOT NULL,
  entry       BLOB NOT NULL,
  PRIMARY KEY (image_id, stack, seq)
);

CREATE TABLE model_version (
  id               INTEGER PRIMARY KEY,
  name             TEXT NOT NULL,
  arch             TEXT NOT NULL,
  config           TEXT NOT NULL DEFAULT '{}',   -- JSON
  weights          BLOB,                         -- serialised weights (or NULL when weights_path is used)
  weights_path     TEXT,
  metrics          TEXT NOT NULL DEFAULT '{}',   -- JSON: val IoU per class, ...
  backend          TEXT,
  parent_id        INTEGER REFERENCES model_version (id) ON DELETE SET NULL,
  is_active        INTEGER NOT NULL DEFAULT 0 CHECK (is_active IN (0, 1)),
  created_at       TEXT NOT NULL
);
CREATE UNIQUE INDEX model_version_one_active ON model_version (is_active) WHERE is_active = 1;

CREATE TABLE training_run (
  id                INTEGER PRIMARY KEY,
  status            TEXT NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
  config            TEXT NOT NULL DEFAULT '{}',
  backend           TEXT,
  base_version_id   INTEGER REFERENCES model_version (id) ON DELETE SET NULL,
  result_version_id INTEGER REFERENCES model_version (id) ON DELETE SET NULL,
  error             TEXT,
  started_at        TEXT NOT NULL,
  finished_at       TEXT
);

CREATE TABLE training_metric (
  run_id     INTEGER NOT NULL REFERENCES training_run (id) ON DELETE CASCADE,
  step       INTEGER NOT NULL,
  epoch      REAL,
  loss       REAL,
  val        TEXT,                               -- JSON: val IoU per class etc.
  lr         REAL,
  at         TEXT NOT NULL,
  PRIMARY KEY (run_id, step)
);

CREATE TABLE training_run_image (
  run_id    INTEGER NOT NULL REFERENCES training_run (id) ON DELETE CASCADE,
  image_id  INTEGER NOT NULL REFERENCES image (id) ON DELETE CASCADE,
  split     TEXT NOT NULL CHECK (split IN ('train', 'val')),
  PRIMARY KEY (run_id, image_id)
);

-- What the model proposed, kept apart from the person's final mask.
CREATE TABLE prediction (
  id                INTEGER PRIMARY KEY,
  image_id          INTEGER NOT NULL REFERENCES image (id) ON DELETE CASCADE,
  model_version_id  INTEGER REFERENCES model_version (id) ON DELETE SET NULL,
  label_map         BLOB NOT NULL,
  confidence        BLOB,                        -- per-pixel confidence (uint8 0..255), optional
  uncertainty       REAL,                        -- mean entropy/margin, for the next-image queue
  state             TEXT NOT NULL DEFAULT 'proposed' CHECK (state IN ('proposed', 'accepted', 'rejected', 'partial')),
  created_at        TEXT NOT NULL
);
CREATE INDEX prediction_image_idx ON prediction (image_id, id);
CREATE INDEX prediction_uncertainty_idx ON prediction (uncertainty);
