export * from './project-store';
export * from './image-repo';
export * from './class-repo';
export * from './migrate';
export * from './annotation-repo';
export * from './prediction-repo';
export * from './model-repo';
