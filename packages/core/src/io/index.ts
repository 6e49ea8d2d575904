export { writeFileAtomic, writeJsonAtomic } from './atomic.js';
export { decodeNetpbm, encodeNetpbm, isNetpbm } from './netpbm.js';
export { encodeNpy, readNpy, readNpz } from './npy.js';
export { encodePng } from './png.js';
export { sharp, type Sharp } from './sharp.js';
