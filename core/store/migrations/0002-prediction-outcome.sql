-- Maskwright project schema, version 2: what became of a proposal once the person finished the
-- image ("what the model saves you"): its agreement with the final mask.
ALTER TABLE prediction ADD COLUMN final_iou REAL;          -- class-aware IoU of proposal and final mask
ALTER TABLE prediction ADD COLUMN changed_fraction REAL;   -- fraction of pixels whose class the person changed
ALTER TABLE prediction ADD COLUMN scored_at TEXT;          -- when the image was marked done/reviewed
