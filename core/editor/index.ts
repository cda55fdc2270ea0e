export * from './editor';
export * from './history';
export * from './gesture-recorder';
export * from './tile-patch';
export * from './tools/tool';
export { BrushTool } from './tools/brush-tool';
export { PolygonTool } from './tools/polygon-tool';
export { FillTool } from './tools/fill-tool';
export { SelectTool, PanTool } from './tools/select-tool';
