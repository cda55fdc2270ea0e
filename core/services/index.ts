export * from './create-services';
export * from './import-job';
export * from './project-registry';
export * from './recent-projects';
