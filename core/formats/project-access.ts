/**
 * What the dataset formats read from and write to a project, and nothing more: an export reads
 * classes, images, masks (or the latest proposals and their model versions) (DatasetSource); an import plans against the same and then writes
 * classes and masks in one transaction (DatasetSink). core/store's ProjectStore is both; tests and
 * other hosts can hand in anything of this shape. The formats never see SQL, migrations, model
 * versions or the rest of the store.
 */
import type { ProjectStore } from '../store/project-store';

/** what a dataset export (and an import's dry run) reads */
export interface DatasetSource {
  /** the project's id (an import plan records which project it was made for) */
  readonly id: string;
  /** the project folder: relative image paths resolve against it */
  readonly dir: string;
  readonly classes: Pick<ProjectStore['classes'], 'list'>;
  readonly images: Pick<ProjectStore['images'], 'list' | 'get'>;
  readonly annotations: Pick<ProjectStore['annotations'], 'get' | 'annotatedImageIds'>;
  /** an export of the model's proposals (`source: 'predictions'`) reads the latest one per image */
  readonly predictions: Pick<ProjectStore['predictions'], 'imageIds' | 'latest'>;
  /** and names the model versions that made them */
  readonly models: Pick<ProjectStore['models'], 'getVersion'>;
}

/** what applying an import writes, on top of what planning it reads */
export interface DatasetSink extends DatasetSource {
  readonly classes: Pick<ProjectStore['classes'], 'list' | 'create'>;
  readonly annotations: Pick<ProjectStore['annotations'], 'get' | 'annotatedImageIds' | 'save'>;
  /** all of fn's writes land, or none */
  transaction<T>(fn: () => T): T;
}
