export {
  registerWasmTrainingKernels,
  unregisterWasmTrainingKernels,
  wasmTrainingKernelsRegistered,
  wasmTrainingKernelConfigs,
  wasmTrainingKernelNames,
  type WasmKernelRegistration,
} from './register';
export { conv2dFilterGrad } from './conv2d-backprop-filter';
export { conv2dInputGrad } from './conv2d-backprop-input';
export { depthwiseFilterGrad } from './depthwise-conv2d-native-backprop-filter';
export { depthwiseInputGrad } from './depthwise-conv2d-native-backprop-input';
export { unsortedSegmentSumImpl } from './unsorted-segment-sum';
export { maxPoolGradImpl } from './max-pool-grad';
export { avgPoolGradImpl } from './avg-pool-grad';
export { resizeBilinearGradImpl } from './resize-bilinear-grad';
export { resizeNearestNeighborGradImpl } from './resize-nearest-neighbor-grad';
export { oneHotImpl } from './one-hot';
