import { createRequire as __WEBPACK_EXTERNAL_createRequire } from "module";
export const id = 127;
export const ids = [127];
export const modules = {

/***/ 60400:
/***/ ((module, __unused_webpack_exports, __webpack_require__) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)(__webpack_require__.ab + "blake.linux-x64-gnu.node")

/***/ }),

/***/ 17127:
/***/ ((module, __unused_webpack_exports, __webpack_require__) => {

const{readFileSync}=__webpack_require__(73024);let nativeBinding=null;const loadErrors=[],isMusl=()=>{let e=!1;return process.platform==="linux"&&(e=isMuslFromFilesystem(),e===null&&(e=isMuslFromReport()),e===null&&(e=isMuslFromChildProcess())),e},isFileMusl=e=>e.includes("libc.musl-")||e.includes("ld-musl-"),isMuslFromFilesystem=()=>{try{return readFileSync("/usr/bin/ldd","utf-8").includes("musl")}catch{return null}},isMuslFromReport=()=>{let e=null;return typeof process.report?.getReport=="function"&&(process.report.excludeNetwork=!0,e=process.report.getReport()),e?e.header&&e.header.glibcVersionRuntime?!1:!!(Array.isArray(e.sharedObjects)&&e.sharedObjects.some(isFileMusl)):null},isMuslFromChildProcess=()=>{try{return (__webpack_require__(35317).execSync)("ldd --version",{encoding:"utf8"}).includes("musl")}catch{return!1}};function requireNative(){if(process.env.NAPI_RS_NATIVE_LIBRARY_PATH)try{return __WEBPACK_EXTERNAL_createRequire(import.meta.url)(process.env.NAPI_RS_NATIVE_LIBRARY_PATH)}catch(e){loadErrors.push(e)}else if(process.platform==="android")if(process.arch==="arm64"){try{return __webpack_require__(66667)}catch(e){loadErrors.push(e)}try{const e=__webpack_require__(43323),r=(__webpack_require__(26010).version);if(r!=="1.3.6"&&process.env.NAPI_RS_ENFORCE_VERSION_CHECK&&process.env.NAPI_RS_ENFORCE_VERSION_CHECK!=="0")throw new Error(`Native binding package version mismatch, expected 1.3.6 but got ${r}. You can reinstall dependencies to fix this issue.`);return e}catch(e){loadErrors.push(e)}}else if(process.arch==="arm"){try{return __webpack_require__(88291)}catch(e){loadErrors.push(e)}try{const e=__webpack_require__(23899),r=(__webpack_require__(66778).version);if(r!=="1.3.6"&&process.env.NAPI_RS_ENFORCE_VERSION_CHECK&&process.env.NAPI_RS_ENFORCE_VERSION_CHECK!=="0")throw new Error(`Native binding package version mismatch, expected 1.3.6 but got ${r}. You can reinstall dependencies to fix this issue.`);return e}catch(e){loadErrors.push(e)}}else loadErrors.push(new Error(`Unsupported architecture on Android ${process.arch}`));else if(process.platform==="win32")if(process.arch==="x64")if(process.config?.variables?.shlib_suffix==="dll.a"||process.config?.variables?.node_target_type==="shared_library"){try{return __webpack_require__(58452)}catch(e){loadErrors.push(e)}try{const e=__webpack_require__(71278),r=(__webpack_require__(75421).version);if(r!=="1.3.6"&&process.env.NAPI_RS_ENFORCE_VERSION_CHECK&&process.env.NAPI_RS_ENFORCE_VERSION_CHECK!=="0")throw new Error(`Native binding package version mismatch, expected 1.3.6 but got ${r}. You can reinstall dependencies to fix this issue.`);return e}catch(e){loadErrors.push(e)}}else{try{return __webpack_require__(51967)}catch(e){loadErrors.push(e)}try{const e=__webpack_require__(92903),r=(__webpack_require__(31550).version);if(r!=="1.3.6"&&process.env.NAPI_RS_ENFORCE_VERSION_CHECK&&process.env.NAPI_RS_ENFORCE_VERSION_CHECK!=="0")throw new Error(`Native binding package version mismatch, expected 1.3.6 but got ${r}. You can reinstall dependencies to fix this issue.`);return e}catch(e){loadErrors.push(e)}}else if(process.arch==="ia32"){try{return __webpack_require__(48766)}catch(e){loadErrors.push(e)}try{const e=__webpack_require__(68472),r=(__webpack_require__(92119).version);if(r!=="1.3.6"&&process.env.NAPI_RS_ENFORCE_VERSION_CHECK&&process.env.NAPI_RS_ENFORCE_VERSION_CHECK!=="0")throw new Error(`Native binding package version mismatch, expected 1.3.6 but got ${r}. You can reinstall dependencies to fix this issue.`);return e}catch(e){loadErrors.push(e)}}else if(process.arch==="arm64"){try{return __webpack_require__(62993)}catch(e){loadErrors.push(e)}try{const e=__webpack_require__(2593),r=(__webpack_require__(66344).version);if(r!=="1.3.6"&&process.env.NAPI_RS_ENFORCE_VERSION_CHECK&&process.env.NAPI_RS_ENFORCE_VERSION_CHECK!=="0")throw new Error(`Native binding package version mismatch, expected 1.3.6 but got ${r}. You can reinstall dependencies to fix this issue.`);return e}catch(e){loadErrors.push(e)}}else loadErrors.push(new Error(`Unsupported architecture on Windows: ${process.arch}`));else if(process.platform==="darwin"){try{return __webpack_require__(43612)}catch(e){loadErrors.push(e)}try{const e=__webpack_require__(35198),r=(__webpack_require__(38285).version);if(r!=="1.3.6"&&process.env.NAPI_RS_ENFORCE_VERSION_CHECK&&process.env.NAPI_RS_ENFORCE_VERSION_CHECK!=="0")throw new Error(`Native binding package version mismatch, expected 1.3.6 but got ${r}. You can reinstall dependencies to fix this issue.`);return e}catch(e){loadErrors.push(e)}if(process.arch==="x64"){try{return __webpack_require__(38791)}catch(e){loadErrors.push(e)}try{const e=__webpack_require__(36879),r=(__webpack_require__(83254).version);if(r!=="1.3.6"&&process.env.NAPI_RS_ENFORCE_VERSION_CHECK&&process.env.NAPI_RS_ENFORCE_VERSION_CHECK!=="0")throw new Error(`Native binding package version mismatch, expected 1.3.6 but got ${r}. You can reinstall dependencies to fix this issue.`);return e}catch(e){loadErrors.push(e)}}else if(process.arch==="arm64"){try{return __webpack_require__(66373)}catch(e){loadErrors.push(e)}try{const e=__webpack_require__(88629),r=(__webpack_require__(95956).version);if(r!=="1.3.6"&&process.env.NAPI_RS_ENFORCE_VERSION_CHECK&&process.env.NAPI_RS_ENFORCE_VERSION_CHECK!=="0")throw new Error(`Native binding package version mismatch, expected 1.3.6 but got ${r}. You can reinstall dependencies to fix this issue.`);return e}catch(e){loadErrors.push(e)}}else loadErrors.push(new Error(`Unsupported architecture on macOS: ${process.arch}`))}else if(process.platform==="freebsd")if(process.arch==="x64"){try{return __webpack_require__(13457)}catch(e){loadErrors.push(e)}try{const e=__webpack_require__(52089),r=(__webpack_require__(32528).version);if(r!=="1.3.6"&&process.env.NAPI_RS_ENFORCE_VERSION_CHECK&&process.env.NAPI_RS_ENFORCE_VERSION_CHECK!=="0")throw new Error(`Native binding package version mismatch, expected 1.3.6 but got ${r}. You can reinstall dependencies to fix this issue.`);return e}catch(e){loadErrors.push(e)}}else if(process.arch==="arm64"){try{return __webpack_require__(49363)}catch(e){loadErrors.push(e)}try{const e=__webpack_require__(55267),r=(__webpack_require__(87250).version);if(r!=="1.3.6"&&process.env.NAPI_RS_ENFORCE_VERSION_CHECK&&process.env.NAPI_RS_ENFORCE_VERSION_CHECK!=="0")throw new Error(`Native binding package version mismatch, expected 1.3.6 but got ${r}. You can reinstall dependencies to fix this issue.`);return e}catch(e){loadErrors.push(e)}}else loadErrors.push(new Error(`Unsupported architecture on FreeBSD: ${process.arch}`));else if(process.platform==="linux")if(process.arch==="x64")if(isMusl()){try{return __webpack_require__(45286)}catch(e){loadErrors.push(e)}try{const e=__webpack_require__(63992),r=(__webpack_require__(71735).version);if(r!=="1.3.6"&&process.env.NAPI_RS_ENFORCE_VERSION_CHECK&&process.env.NAPI_RS_ENFORCE_VERSION_CHECK!=="0")throw new Error(`Native binding package version mismatch, expected 1.3.6 but got ${r}. You can reinstall dependencies to fix this issue.`);return e}catch(e){loadErrors.push(e)}}else{try{return __webpack_require__(12733)}catch(e){loadErrors.push(e)}try{const e=__webpack_require__(60400),r=(__webpack_require__(37566)/* .version */ .rE);if(r!=="1.3.6"&&process.env.NAPI_RS_ENFORCE_VERSION_CHECK&&process.env.NAPI_RS_ENFORCE_VERSION_CHECK!=="0")throw new Error(`Native binding package version mismatch, expected 1.3.6 but got ${r}. You can reinstall dependencies to fix this issue.`);return e}catch(e){loadErrors.push(e)}}else if(process.arch==="arm64")if(isMusl()){try{return __webpack_require__(47552)}catch(e){loadErrors.push(e)}try{const e=__webpack_require__(65554),r=(__webpack_require__(66393).version);if(r!=="1.3.6"&&process.env.NAPI_RS_ENFORCE_VERSION_CHECK&&process.env.NAPI_RS_ENFORCE_VERSION_CHECK!=="0")throw new Error(`Native binding package version mismatch, expected 1.3.6 but got ${r}. You can reinstall dependencies to fix this issue.`);return e}catch(e){loadErrors.push(e)}}else{try{return __webpack_require__(58679)}catch(e){loadErrors.push(e)}try{const e=__webpack_require__(7087),r=(__webpack_require__(13526).version);if(r!=="1.3.6"&&process.env.NAPI_RS_ENFORCE_VERSION_CHECK&&process.env.NAPI_RS_ENFORCE_VERSION_CHECK!=="0")throw new Error(`Native binding package version mismatch, expected 1.3.6 but got ${r}. You can reinstall dependencies to fix this issue.`);return e}catch(e){loadErrors.push(e)}}else if(process.arch==="arm")if(isMusl()){try{return __webpack_require__(8311)}catch(e){loadErrors.push(e)}try{const e=__webpack_require__(76039),r=(__webpack_require__(11614).version);if(r!=="1.3.6"&&process.env.NAPI_RS_ENFORCE_VERSION_CHECK&&process.env.NAPI_RS_ENFORCE_VERSION_CHECK!=="0")throw new Error(`Native binding package version mismatch, expected 1.3.6 but got ${r}. You can reinstall dependencies to fix this issue.`);return e}catch(e){loadErrors.push(e)}}else{try{return __webpack_require__(39136)}catch(e){loadErrors.push(e)}try{const e=__webpack_require__(91818),r=(__webpack_require__(65313).version);if(r!=="1.3.6"&&process.env.NAPI_RS_ENFORCE_VERSION_CHECK&&process.env.NAPI_RS_ENFORCE_VERSION_CHECK!=="0")throw new Error(`Native binding package version mismatch, expected 1.3.6 but got ${r}. You can reinstall dependencies to fix this issue.`);return e}catch(e){loadErrors.push(e)}}else if(process.arch==="loong64")if(isMusl()){try{return __webpack_require__(5877)}catch(e){loadErrors.push(e)}try{const e=__webpack_require__(38133),r=(__webpack_require__(66996).version);if(r!=="1.3.6"&&process.env.NAPI_RS_ENFORCE_VERSION_CHECK&&process.env.NAPI_RS_ENFORCE_VERSION_CHECK!=="0")throw new Error(`Native binding package version mismatch, expected 1.3.6 but got ${r}. You can reinstall dependencies to fix this issue.`);return e}catch(e){loadErrors.push(e)}}else{try{return __webpack_require__(9452)}catch(e){loadErrors.push(e)}try{const e=__webpack_require__(50102),r=(__webpack_require__(6197).version);if(r!=="1.3.6"&&process.env.NAPI_RS_ENFORCE_VERSION_CHECK&&process.env.NAPI_RS_ENFORCE_VERSION_CHECK!=="0")throw new Error(`Native binding package version mismatch, expected 1.3.6 but got ${r}. You can reinstall dependencies to fix this issue.`);return e}catch(e){loadErrors.push(e)}}else if(process.arch==="riscv64")if(isMusl()){try{return __webpack_require__(9323)}catch(e){loadErrors.push(e)}try{const e=__webpack_require__(12411),r=(__webpack_require__(34586).version);if(r!=="1.3.6"&&process.env.NAPI_RS_ENFORCE_VERSION_CHECK&&process.env.NAPI_RS_ENFORCE_VERSION_CHECK!=="0")throw new Error(`Native binding package version mismatch, expected 1.3.6 but got ${r}. You can reinstall dependencies to fix this issue.`);return e}catch(e){loadErrors.push(e)}}else{try{return __webpack_require__(3874)}catch(e){loadErrors.push(e)}try{const e=__webpack_require__(41156),r=(__webpack_require__(47483).version);if(r!=="1.3.6"&&process.env.NAPI_RS_ENFORCE_VERSION_CHECK&&process.env.NAPI_RS_ENFORCE_VERSION_CHECK!=="0")throw new Error(`Native binding package version mismatch, expected 1.3.6 but got ${r}. You can reinstall dependencies to fix this issue.`);return e}catch(e){loadErrors.push(e)}}else if(process.arch==="ppc64"){try{return __webpack_require__(41964)}catch(e){loadErrors.push(e)}try{const e=__webpack_require__(16510),r=(__webpack_require__(63149).version);if(r!=="1.3.6"&&process.env.NAPI_RS_ENFORCE_VERSION_CHECK&&process.env.NAPI_RS_ENFORCE_VERSION_CHECK!=="0")throw new Error(`Native binding package version mismatch, expected 1.3.6 but got ${r}. You can reinstall dependencies to fix this issue.`);return e}catch(e){loadErrors.push(e)}}else if(process.arch==="s390x"){try{return __webpack_require__(81578)}catch(e){loadErrors.push(e)}try{const e=__webpack_require__(14100),r=(__webpack_require__(6251).version);if(r!=="1.3.6"&&process.env.NAPI_RS_ENFORCE_VERSION_CHECK&&process.env.NAPI_RS_ENFORCE_VERSION_CHECK!=="0")throw new Error(`Native binding package version mismatch, expected 1.3.6 but got ${r}. You can reinstall dependencies to fix this issue.`);return e}catch(e){loadErrors.push(e)}}else loadErrors.push(new Error(`Unsupported architecture on Linux: ${process.arch}`));else if(process.platform==="openharmony")if(process.arch==="arm64"){try{return __webpack_require__(66726)}catch(e){loadErrors.push(e)}try{const e=__webpack_require__(62368),r=(__webpack_require__(14287).version);if(r!=="1.3.6"&&process.env.NAPI_RS_ENFORCE_VERSION_CHECK&&process.env.NAPI_RS_ENFORCE_VERSION_CHECK!=="0")throw new Error(`Native binding package version mismatch, expected 1.3.6 but got ${r}. You can reinstall dependencies to fix this issue.`);return e}catch(e){loadErrors.push(e)}}else if(process.arch==="x64"){try{return __webpack_require__(7124)}catch(e){loadErrors.push(e)}try{const e=__webpack_require__(77262),r=(__webpack_require__(51005).version);if(r!=="1.3.6"&&process.env.NAPI_RS_ENFORCE_VERSION_CHECK&&process.env.NAPI_RS_ENFORCE_VERSION_CHECK!=="0")throw new Error(`Native binding package version mismatch, expected 1.3.6 but got ${r}. You can reinstall dependencies to fix this issue.`);return e}catch(e){loadErrors.push(e)}}else if(process.arch==="arm"){try{return __webpack_require__(70972)}catch(e){loadErrors.push(e)}try{const e=__webpack_require__(67550),r=(__webpack_require__(12621).version);if(r!=="1.3.6"&&process.env.NAPI_RS_ENFORCE_VERSION_CHECK&&process.env.NAPI_RS_ENFORCE_VERSION_CHECK!=="0")throw new Error(`Native binding package version mismatch, expected 1.3.6 but got ${r}. You can reinstall dependencies to fix this issue.`);return e}catch(e){loadErrors.push(e)}}else loadErrors.push(new Error(`Unsupported architecture on OpenHarmony: ${process.arch}`));else loadErrors.push(new Error(`Unsupported OS: ${process.platform}, architecture: ${process.arch}`))}if(nativeBinding=requireNative(),!nativeBinding||process.env.NAPI_RS_FORCE_WASI){let e=null,r=null;try{e=__webpack_require__(57007),nativeBinding=e}catch(s){process.env.NAPI_RS_FORCE_WASI&&(r=s)}if(!nativeBinding)try{e=__webpack_require__(49601),nativeBinding=e}catch(s){process.env.NAPI_RS_FORCE_WASI&&(r.cause=s,loadErrors.push(s))}if(process.env.NAPI_RS_FORCE_WASI==="error"&&!e){const s=new Error("WASI binding not found and NAPI_RS_FORCE_WASI is set to error");throw s.cause=r,s}}if(!nativeBinding)throw loadErrors.length>0?new Error("Cannot find native binding. npm has a bug related to optional dependencies (https://github.com/npm/cli/issues/4828). Please try `npm i` again after removing both package-lock.json and node_modules directory.",{cause:loadErrors.reduce((e,r)=>(r.cause=e,r))}):new Error("Failed to load native binding");module.exports=nativeBinding,module.exports.Blake2BHasher=nativeBinding.Blake2BHasher,module.exports.Blake2bHasher=nativeBinding.Blake2bHasher,module.exports.Blake2BParam=nativeBinding.Blake2BParam,module.exports.Blake2bParam=nativeBinding.Blake2bParam,module.exports.Blake2BpHasher=nativeBinding.Blake2BpHasher,module.exports.Blake2bpHasher=nativeBinding.Blake2bpHasher,module.exports.Blake2BpParam=nativeBinding.Blake2BpParam,module.exports.Blake2bpParam=nativeBinding.Blake2bpParam,module.exports.Blake2SHasher=nativeBinding.Blake2SHasher,module.exports.Blake2sHasher=nativeBinding.Blake2sHasher,module.exports.Blake2SParam=nativeBinding.Blake2SParam,module.exports.Blake2sParam=nativeBinding.Blake2sParam,module.exports.Blake2SpHasher=nativeBinding.Blake2SpHasher,module.exports.Blake2spHasher=nativeBinding.Blake2spHasher,module.exports.Blake2SpParam=nativeBinding.Blake2SpParam,module.exports.Blake2spParam=nativeBinding.Blake2spParam,module.exports.Blake3Hasher=nativeBinding.Blake3Hasher,module.exports.blake2b=nativeBinding.blake2b,module.exports.blake2bp=nativeBinding.blake2bp,module.exports.blake2s=nativeBinding.blake2s,module.exports.blake2sp=nativeBinding.blake2sp,module.exports.blake3=nativeBinding.blake3,module.exports.blake3UrlSafeBase64=nativeBinding.blake3UrlSafeBase64;


/***/ }),

/***/ 88291:
/***/ ((module) => {

module.exports = eval("require")("./blake.android-arm-eabi.node");


/***/ }),

/***/ 66667:
/***/ ((module) => {

module.exports = eval("require")("./blake.android-arm64.node");


/***/ }),

/***/ 66373:
/***/ ((module) => {

module.exports = eval("require")("./blake.darwin-arm64.node");


/***/ }),

/***/ 43612:
/***/ ((module) => {

module.exports = eval("require")("./blake.darwin-universal.node");


/***/ }),

/***/ 38791:
/***/ ((module) => {

module.exports = eval("require")("./blake.darwin-x64.node");


/***/ }),

/***/ 49363:
/***/ ((module) => {

module.exports = eval("require")("./blake.freebsd-arm64.node");


/***/ }),

/***/ 13457:
/***/ ((module) => {

module.exports = eval("require")("./blake.freebsd-x64.node");


/***/ }),

/***/ 39136:
/***/ ((module) => {

module.exports = eval("require")("./blake.linux-arm-gnueabihf.node");


/***/ }),

/***/ 8311:
/***/ ((module) => {

module.exports = eval("require")("./blake.linux-arm-musleabihf.node");


/***/ }),

/***/ 58679:
/***/ ((module) => {

module.exports = eval("require")("./blake.linux-arm64-gnu.node");


/***/ }),

/***/ 47552:
/***/ ((module) => {

module.exports = eval("require")("./blake.linux-arm64-musl.node");


/***/ }),

/***/ 9452:
/***/ ((module) => {

module.exports = eval("require")("./blake.linux-loong64-gnu.node");


/***/ }),

/***/ 5877:
/***/ ((module) => {

module.exports = eval("require")("./blake.linux-loong64-musl.node");


/***/ }),

/***/ 41964:
/***/ ((module) => {

module.exports = eval("require")("./blake.linux-ppc64-gnu.node");


/***/ }),

/***/ 3874:
/***/ ((module) => {

module.exports = eval("require")("./blake.linux-riscv64-gnu.node");


/***/ }),

/***/ 9323:
/***/ ((module) => {

module.exports = eval("require")("./blake.linux-riscv64-musl.node");


/***/ }),

/***/ 81578:
/***/ ((module) => {

module.exports = eval("require")("./blake.linux-s390x-gnu.node");


/***/ }),

/***/ 12733:
/***/ ((module) => {

module.exports = eval("require")("./blake.linux-x64-gnu.node");


/***/ }),

/***/ 45286:
/***/ ((module) => {

module.exports = eval("require")("./blake.linux-x64-musl.node");


/***/ }),

/***/ 70972:
/***/ ((module) => {

module.exports = eval("require")("./blake.openharmony-arm.node");


/***/ }),

/***/ 66726:
/***/ ((module) => {

module.exports = eval("require")("./blake.openharmony-arm64.node");


/***/ }),

/***/ 7124:
/***/ ((module) => {

module.exports = eval("require")("./blake.openharmony-x64.node");


/***/ }),

/***/ 57007:
/***/ ((module) => {

module.exports = eval("require")("./blake.wasi.cjs");


/***/ }),

/***/ 62993:
/***/ ((module) => {

module.exports = eval("require")("./blake.win32-arm64-msvc.node");


/***/ }),

/***/ 48766:
/***/ ((module) => {

module.exports = eval("require")("./blake.win32-ia32-msvc.node");


/***/ }),

/***/ 58452:
/***/ ((module) => {

module.exports = eval("require")("./blake.win32-x64-gnu.node");


/***/ }),

/***/ 51967:
/***/ ((module) => {

module.exports = eval("require")("./blake.win32-x64-msvc.node");


/***/ }),

/***/ 23899:
/***/ ((module) => {

module.exports = eval("require")("@napi-rs/blake-hash-android-arm-eabi");


/***/ }),

/***/ 66778:
/***/ ((module) => {

module.exports = eval("require")("@napi-rs/blake-hash-android-arm-eabi/package.json");


/***/ }),

/***/ 43323:
/***/ ((module) => {

module.exports = eval("require")("@napi-rs/blake-hash-android-arm64");


/***/ }),

/***/ 26010:
/***/ ((module) => {

module.exports = eval("require")("@napi-rs/blake-hash-android-arm64/package.json");


/***/ }),

/***/ 88629:
/***/ ((module) => {

module.exports = eval("require")("@napi-rs/blake-hash-darwin-arm64");


/***/ }),

/***/ 95956:
/***/ ((module) => {

module.exports = eval("require")("@napi-rs/blake-hash-darwin-arm64/package.json");


/***/ }),

/***/ 35198:
/***/ ((module) => {

module.exports = eval("require")("@napi-rs/blake-hash-darwin-universal");


/***/ }),

/***/ 38285:
/***/ ((module) => {

module.exports = eval("require")("@napi-rs/blake-hash-darwin-universal/package.json");


/***/ }),

/***/ 36879:
/***/ ((module) => {

module.exports = eval("require")("@napi-rs/blake-hash-darwin-x64");


/***/ }),

/***/ 83254:
/***/ ((module) => {

module.exports = eval("require")("@napi-rs/blake-hash-darwin-x64/package.json");


/***/ }),

/***/ 55267:
/***/ ((module) => {

module.exports = eval("require")("@napi-rs/blake-hash-freebsd-arm64");


/***/ }),

/***/ 87250:
/***/ ((module) => {

module.exports = eval("require")("@napi-rs/blake-hash-freebsd-arm64/package.json");


/***/ }),

/***/ 52089:
/***/ ((module) => {

module.exports = eval("require")("@napi-rs/blake-hash-freebsd-x64");


/***/ }),

/***/ 32528:
/***/ ((module) => {

module.exports = eval("require")("@napi-rs/blake-hash-freebsd-x64/package.json");


/***/ }),

/***/ 91818:
/***/ ((module) => {

module.exports = eval("require")("@napi-rs/blake-hash-linux-arm-gnueabihf");


/***/ }),

/***/ 65313:
/***/ ((module) => {

module.exports = eval("require")("@napi-rs/blake-hash-linux-arm-gnueabihf/package.json");


/***/ }),

/***/ 76039:
/***/ ((module) => {

module.exports = eval("require")("@napi-rs/blake-hash-linux-arm-musleabihf");


/***/ }),

/***/ 11614:
/***/ ((module) => {

module.exports = eval("require")("@napi-rs/blake-hash-linux-arm-musleabihf/package.json");


/***/ }),

/***/ 7087:
/***/ ((module) => {

module.exports = eval("require")("@napi-rs/blake-hash-linux-arm64-gnu");


/***/ }),

/***/ 13526:
/***/ ((module) => {

module.exports = eval("require")("@napi-rs/blake-hash-linux-arm64-gnu/package.json");


/***/ }),

/***/ 65554:
/***/ ((module) => {

module.exports = eval("require")("@napi-rs/blake-hash-linux-arm64-musl");


/***/ }),

/***/ 66393:
/***/ ((module) => {

module.exports = eval("require")("@napi-rs/blake-hash-linux-arm64-musl/package.json");


/***/ }),

/***/ 50102:
/***/ ((module) => {

module.exports = eval("require")("@napi-rs/blake-hash-linux-loong64-gnu");


/***/ }),

/***/ 6197:
/***/ ((module) => {

module.exports = eval("require")("@napi-rs/blake-hash-linux-loong64-gnu/package.json");


/***/ }),

/***/ 38133:
/***/ ((module) => {

module.exports = eval("require")("@napi-rs/blake-hash-linux-loong64-musl");


/***/ }),

/***/ 66996:
/***/ ((module) => {

module.exports = eval("require")("@napi-rs/blake-hash-linux-loong64-musl/package.json");


/***/ }),

/***/ 16510:
/***/ ((module) => {

module.exports = eval("require")("@napi-rs/blake-hash-linux-ppc64-gnu");


/***/ }),

/***/ 63149:
/***/ ((module) => {

module.exports = eval("require")("@napi-rs/blake-hash-linux-ppc64-gnu/package.json");


/***/ }),

/***/ 41156:
/***/ ((module) => {

module.exports = eval("require")("@napi-rs/blake-hash-linux-riscv64-gnu");


/***/ }),

/***/ 47483:
/***/ ((module) => {

module.exports = eval("require")("@napi-rs/blake-hash-linux-riscv64-gnu/package.json");


/***/ }),

/***/ 12411:
/***/ ((module) => {

module.exports = eval("require")("@napi-rs/blake-hash-linux-riscv64-musl");


/***/ }),

/***/ 34586:
/***/ ((module) => {

module.exports = eval("require")("@napi-rs/blake-hash-linux-riscv64-musl/package.json");


/***/ }),

/***/ 14100:
/***/ ((module) => {

module.exports = eval("require")("@napi-rs/blake-hash-linux-s390x-gnu");


/***/ }),

/***/ 6251:
/***/ ((module) => {

module.exports = eval("require")("@napi-rs/blake-hash-linux-s390x-gnu/package.json");


/***/ }),

/***/ 63992:
/***/ ((module) => {

module.exports = eval("require")("@napi-rs/blake-hash-linux-x64-musl");


/***/ }),

/***/ 71735:
/***/ ((module) => {

module.exports = eval("require")("@napi-rs/blake-hash-linux-x64-musl/package.json");


/***/ }),

/***/ 67550:
/***/ ((module) => {

module.exports = eval("require")("@napi-rs/blake-hash-openharmony-arm");


/***/ }),

/***/ 12621:
/***/ ((module) => {

module.exports = eval("require")("@napi-rs/blake-hash-openharmony-arm/package.json");


/***/ }),

/***/ 62368:
/***/ ((module) => {

module.exports = eval("require")("@napi-rs/blake-hash-openharmony-arm64");


/***/ }),

/***/ 14287:
/***/ ((module) => {

module.exports = eval("require")("@napi-rs/blake-hash-openharmony-arm64/package.json");


/***/ }),

/***/ 77262:
/***/ ((module) => {

module.exports = eval("require")("@napi-rs/blake-hash-openharmony-x64");


/***/ }),

/***/ 51005:
/***/ ((module) => {

module.exports = eval("require")("@napi-rs/blake-hash-openharmony-x64/package.json");


/***/ }),

/***/ 49601:
/***/ ((module) => {

module.exports = eval("require")("@napi-rs/blake-hash-wasm32-wasi");


/***/ }),

/***/ 2593:
/***/ ((module) => {

module.exports = eval("require")("@napi-rs/blake-hash-win32-arm64-msvc");


/***/ }),

/***/ 66344:
/***/ ((module) => {

module.exports = eval("require")("@napi-rs/blake-hash-win32-arm64-msvc/package.json");


/***/ }),

/***/ 68472:
/***/ ((module) => {

module.exports = eval("require")("@napi-rs/blake-hash-win32-ia32-msvc");


/***/ }),

/***/ 92119:
/***/ ((module) => {

module.exports = eval("require")("@napi-rs/blake-hash-win32-ia32-msvc/package.json");


/***/ }),

/***/ 71278:
/***/ ((module) => {

module.exports = eval("require")("@napi-rs/blake-hash-win32-x64-gnu");


/***/ }),

/***/ 75421:
/***/ ((module) => {

module.exports = eval("require")("@napi-rs/blake-hash-win32-x64-gnu/package.json");


/***/ }),

/***/ 92903:
/***/ ((module) => {

module.exports = eval("require")("@napi-rs/blake-hash-win32-x64-msvc");


/***/ }),

/***/ 31550:
/***/ ((module) => {

module.exports = eval("require")("@napi-rs/blake-hash-win32-x64-msvc/package.json");


/***/ }),

/***/ 37566:
/***/ ((module) => {

module.exports = {"rE":"1.3.6"};

/***/ })

};
