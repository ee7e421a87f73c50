import { createRequire as __WEBPACK_EXTERNAL_createRequire } from "module";
export const id = 178;
export const ids = [178];
export const modules = {

/***/ 60400:
/***/ ((module, __unused_webpack_exports, __webpack_require__) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)(__webpack_require__.ab + "blake.linux-x64-gnu.node")

/***/ }),

/***/ 61178:
/***/ ((module, __unused_webpack_exports, __webpack_require__) => {

// BLAKE3's native binding for x86-64 Linux (see contents-hash.ts), loaded from CommonJS because an addon is a
// CommonJS module: ncc follows this require and bundles the .node file beside the bundle.
/* global module, require */
// eslint-disable-next-line @typescript-eslint/no-require-imports
module.exports = __webpack_require__(60400);


/***/ })

};
