export const id = 151;
export const ids = [151];
export const modules = {

/***/ 76151:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   ArtifactStore: () => (/* binding */ ArtifactStore)
/* harmony export */ });
/* harmony import */ var node_fs_promises__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(51455);
/* harmony import */ var node_fs_promises__WEBPACK_IMPORTED_MODULE_0___default = /*#__PURE__*/__webpack_require__.n(node_fs_promises__WEBPACK_IMPORTED_MODULE_0__);
/* harmony import */ var node_os__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(48161);
/* harmony import */ var node_os__WEBPACK_IMPORTED_MODULE_1___default = /*#__PURE__*/__webpack_require__.n(node_os__WEBPACK_IMPORTED_MODULE_1__);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(76760);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_2___default = /*#__PURE__*/__webpack_require__.n(node_path__WEBPACK_IMPORTED_MODULE_2__);
/* harmony import */ var _actions_artifact__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(67458);
/* harmony import */ var _util_errors_js__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(70017);
/* harmony import */ var _util_log_js__WEBPACK_IMPORTED_MODULE_5__ = __webpack_require__(29906);
/* harmony import */ var _util_progress_js__WEBPACK_IMPORTED_MODULE_6__ = __webpack_require__(65365);
/* harmony import */ var _util_retry_js__WEBPACK_IMPORTED_MODULE_7__ = __webpack_require__(4266);
/* harmony import */ var _meta_js__WEBPACK_IMPORTED_MODULE_8__ = __webpack_require__(45960);
/* harmony import */ var _remote_common_js__WEBPACK_IMPORTED_MODULE_9__ = __webpack_require__(81837);
/* harmony import */ var _trust_js__WEBPACK_IMPORTED_MODULE_10__ = __webpack_require__(9751);
/**
 * `store: artifact` — snapshots as workflow-run artifacts, through @actions/artifact.
 *
 * Each stage job uploads two artifacts, snapshot first, metadata last:
 *   <key>.snapshot-<sha256[0:16]>   zip (compression level 0: the snapshot is compressed already) of `snapshot`
 *   <key>.meta                      zip of meta.json
 * A later job of the same run lists the run's artifacts (one call, nothing downloaded), reads the
 * small meta artifact and fetches the snapshot it names, checking the artifact digest while
 * downloading and the snapshot's sha256 afterwards. An upload interrupted before its meta artifact
 * is finalized is invisible; the checksum in the snapshot's name keeps a meta from ever pairing
 * with another publisher's snapshot.
 *
 * With `source` (a token and a run id) lookups and fetches read another run's artifacts, e.g. a
 * release pipeline reusing a build run's snapshots; publishing always goes to the current run.
 */











const META_SUFFIX = '.meta';
/** Characters @actions/artifact refuses in names. */
const FORBIDDEN_NAME_CHARS = /[":<>|*?\r\n\\/\s,]/;
class ArtifactStore {
    scope;
    options;
    kind = 'artifact';
    client = new _actions_artifact__WEBPACK_IMPORTED_MODULE_3__/* .DefaultArtifactClient */ .t9();
    retry;
    find;
    tempRoot;
    constructor(scope, options = {}) {
        this.scope = scope;
        this.options = options;
        this.retry = options.retry ?? _remote_common_js__WEBPACK_IMPORTED_MODULE_9__/* .DEFAULT_RETRY */ .vI;
        this.find = options.source ? { findBy: options.source } : {};
        this.tempRoot = options.tempDir ?? process.env.RUNNER_TEMP ?? node_os__WEBPACK_IMPORTED_MODULE_1___default().tmpdir();
    }
    async lookup(key) {
        checkKey(key);
        return (await this.findEntry(key, await this.listRun('lookup', key)))?.entry;
    }
    async fetch(key, workDir) {
        checkKey(key);
        const found = await this.findEntry(key, await this.listRun('lookup', key));
        if (!found)
            return undefined;
        const { meta } = found.entry;
        const scratch = await this.scratchDir('fetch');
        try {
            const started = Date.now();
            _util_log_js__WEBPACK_IMPORTED_MODULE_5__/* .log */ .Rm.info(`artifact: downloading ${found.snapshot.name} (artifact ${found.snapshot.id})`);
            const expectedHash = found.snapshot.digest ? withSha256Prefix(found.snapshot.digest) : undefined;
            const { digestMismatch } = await this.withRetries('download', key, () => this.client.downloadArtifact(found.snapshot.id, { ...this.find, path: scratch, expectedHash }));
            if (digestMismatch) {
                _util_log_js__WEBPACK_IMPORTED_MODULE_5__/* .log */ .Rm.warning(`artifact: ${found.snapshot.name} does not match its digest ${expectedHash}: corrupt; treating it as a miss`);
                return undefined;
            }
            const file = node_path__WEBPACK_IMPORTED_MODULE_2___default().join(workDir, `${key}.snapshot`);
            await (0,_remote_common_js__WEBPACK_IMPORTED_MODULE_9__/* .moveFile */ .mV)(node_path__WEBPACK_IMPORTED_MODULE_2___default().join(scratch, 'snapshot'), file);
            if (!(await (0,_remote_common_js__WEBPACK_IMPORTED_MODULE_9__/* .verifyDownload */ ._G)(this.kind, file, meta, started)))
                return undefined;
            return { file, meta };
        }
        finally {
            await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_0__.rm)(scratch, { recursive: true, force: true });
        }
    }
    async publish(file, publishMeta) {
        checkKey(publishMeta.key);
        const meta = await (0,_meta_js__WEBPACK_IMPORTED_MODULE_8__/* .describeSnapshot */ .e4)(file, publishMeta, this.scope);
        const existing = this.options.source ? undefined : await this.findEntry(meta.key, await this.listRun('publish', meta.key));
        if (existing) {
            _util_log_js__WEBPACK_IMPORTED_MODULE_5__/* .log */ .Rm.info(`artifact: ${meta.key} is already present (${existing.entry.location})`);
            return existing.entry;
        }
        const scratch = await this.scratchDir('publish');
        try {
            const name = snapshotName(meta);
            await (0,_remote_common_js__WEBPACK_IMPORTED_MODULE_9__/* .linkOrCopy */ .L7)(file, node_path__WEBPACK_IMPORTED_MODULE_2___default().join(scratch, 'snapshot'));
            const progress = new _util_progress_js__WEBPACK_IMPORTED_MODULE_6__/* .ByteProgress */ .O(`artifact: upload ${name}`, meta.size);
            const snapshotId = await this.upload(name, node_path__WEBPACK_IMPORTED_MODULE_2___default().join(scratch, 'snapshot'), scratch, 0);
            progress.add(meta.size);
            progress.finish();
            // The meta artifact goes last: until it exists, lookups do not see the snapshot.
            await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_0__.writeFile)(node_path__WEBPACK_IMPORTED_MODULE_2___default().join(scratch, 'meta.json'), (0,_meta_js__WEBPACK_IMPORTED_MODULE_8__/* .encodeMeta */ .eF)(meta));
            await this.upload(metaName(meta.key), node_path__WEBPACK_IMPORTED_MODULE_2___default().join(scratch, 'meta.json'), scratch, 6);
            return { meta, location: `artifact ${snapshotId} '${name}'` };
        }
        finally {
            await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_0__.rm)(scratch, { recursive: true, force: true });
        }
    }
    /** Entries of the run (this one, or `source`), newest first; reads each small meta artifact. */
    async list(stage) {
        const artifacts = await this.listRun('list', stage ?? '*');
        const entries = [];
        for (const artifact of artifacts) {
            if (!artifact.name.endsWith(META_SUFFIX))
                continue;
            const key = artifact.name.slice(0, -META_SUFFIX.length);
            const found = await this.findEntry(key, artifacts);
            if (found && (!stage || found.entry.meta.stage === stage))
                entries.push(found.entry);
        }
        return entries.sort((a, b) => b.meta.created.localeCompare(a.meta.created));
    }
    async listRun(operation, key) {
        const { artifacts } = await this.withRetries(operation, key, () => this.client.listArtifacts({ ...this.find, latest: true }));
        return artifacts;
    }
    async findEntry(key, artifacts) {
        const metaArtifact = artifacts.find((a) => a.name === metaName(key));
        if (!metaArtifact)
            return undefined;
        const meta = await this.readMeta(metaArtifact, key);
        if (!meta)
            return undefined;
        if (!(0,_trust_js__WEBPACK_IMPORTED_MODULE_10__/* .mayUse */ .p2)(this.scope, meta)) {
            _util_log_js__WEBPACK_IMPORTED_MODULE_5__/* .log */ .Rm.warning(`artifact: ignoring ${metaArtifact.name}: published by an untrusted build (${meta.ref})`);
            return undefined;
        }
        const snapshot = artifacts.find((a) => a.name === snapshotName(meta));
        if (!snapshot) {
            _util_log_js__WEBPACK_IMPORTED_MODULE_5__/* .log */ .Rm.warning(`artifact: ${metaArtifact.name} names ${snapshotName(meta)}, which is missing (expired?); treating as a miss`);
            return undefined;
        }
        return { entry: { meta, location: `artifact ${snapshot.id} '${snapshot.name}'` }, snapshot };
    }
    async readMeta(metaArtifact, key) {
        const scratch = await this.scratchDir('meta');
        try {
            await this.withRetries('lookup', key, () => this.client.downloadArtifact(metaArtifact.id, { ...this.find, path: scratch }));
            return (0,_meta_js__WEBPACK_IMPORTED_MODULE_8__/* .decodeMeta */ .ks)(await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_0__.readFile)(node_path__WEBPACK_IMPORTED_MODULE_2___default().join(scratch, 'meta.json'), 'utf8'), key);
        }
        catch (err) {
            if (err instanceof _remote_common_js__WEBPACK_IMPORTED_MODULE_9__/* .RemoteStoreError */ .EG)
                throw err;
            _util_log_js__WEBPACK_IMPORTED_MODULE_5__/* .log */ .Rm.warning(`artifact: ignoring ${metaArtifact.name}: ${(0,_util_errors_js__WEBPACK_IMPORTED_MODULE_4__/* .errorMessage */ .gJ)(err)}`);
            return undefined;
        }
        finally {
            await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_0__.rm)(scratch, { recursive: true, force: true });
        }
    }
    /**
     * Uploads one file as an artifact. If an attempt fails after the service finalized the artifact,
     * the name is taken: an artifact of that name in this run counts as uploaded (its name carries
     * the checksum, or it is the meta of this very key).
     */
    async upload(name, file, root, compressionLevel) {
        return this.withRetries('upload', name, async () => {
            try {
                const { id } = await this.client.uploadArtifact(name, [file], root, { compressionLevel });
                if (id === undefined)
                    throw new Error('the service returned no artifact id');
                return id;
            }
            catch (err) {
                const { artifacts } = await this.client.listArtifacts({ latest: true }).catch(() => ({ artifacts: [] }));
                const present = artifacts.find((a) => a.name === name);
                if (present) {
                    _util_log_js__WEBPACK_IMPORTED_MODULE_5__/* .log */ .Rm.info(`artifact: ${name} already exists (artifact ${present.id}); keeping it`);
                    return present.id;
                }
                throw err;
            }
        });
    }
    async withRetries(operation, key, call) {
        try {
            return await (0,_util_retry_js__WEBPACK_IMPORTED_MODULE_7__/* .withRetries */ .LH)(`artifact: ${operation} ${key}`, this.retry, call);
        }
        catch (err) {
            throw new _remote_common_js__WEBPACK_IMPORTED_MODULE_9__/* .RemoteStoreError */ .EG(this.kind, operation, key, (0,_util_errors_js__WEBPACK_IMPORTED_MODULE_4__/* .errorMessage */ .gJ)(err));
        }
    }
    async scratchDir(purpose) {
        await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_0__.mkdir)(this.tempRoot, { recursive: true });
        return (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_0__.mkdtemp)(node_path__WEBPACK_IMPORTED_MODULE_2___default().join(this.tempRoot, `pizlix-artifact-${purpose}-`));
    }
}
function snapshotName(meta) {
    return `${meta.key}.snapshot-${meta.sha256.slice(0, 16)}`;
}
function metaName(key) {
    return `${key}${META_SUFFIX}`;
}
/** Uploads report the digest as bare hex; downloads compare against "sha256:<hex>". */
function withSha256Prefix(digest) {
    return digest.startsWith('sha256:') ? digest : `sha256:${digest}`;
}
function checkKey(key) {
    if (!key || key.length > 200 || FORBIDDEN_NAME_CHARS.test(key)) {
        throw new _util_errors_js__WEBPACK_IMPORTED_MODULE_4__/* .InputError */ .dz('key', `'${key}' cannot name an artifact`, '1 to 200 characters without " : < > | * ? \\ / commas or spaces');
    }
}


/***/ }),

/***/ 81837:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   $o: () => (/* binding */ watchPackageReports),
/* harmony export */   EG: () => (/* binding */ RemoteStoreError),
/* harmony export */   L7: () => (/* binding */ linkOrCopy),
/* harmony export */   _G: () => (/* binding */ verifyDownload),
/* harmony export */   mV: () => (/* binding */ moveFile),
/* harmony export */   vI: () => (/* binding */ DEFAULT_RETRY)
/* harmony export */ });
/* harmony import */ var node_fs_promises__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(51455);
/* harmony import */ var node_fs_promises__WEBPACK_IMPORTED_MODULE_0___default = /*#__PURE__*/__webpack_require__.n(node_fs_promises__WEBPACK_IMPORTED_MODULE_0__);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(76760);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_1___default = /*#__PURE__*/__webpack_require__.n(node_path__WEBPACK_IMPORTED_MODULE_1__);
/* harmony import */ var _util_errors_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(70017);
/* harmony import */ var _util_format_js__WEBPACK_IMPORTED_MODULE_5__ = __webpack_require__(32693);
/* harmony import */ var _util_log_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(29906);
/* harmony import */ var _meta_js__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(45960);
/**
 * What the remote backends share: their error type, the default retry policy, reading the failures
 * the @actions packages only report as log lines, verifying a download, and moving large files
 * without copying when the filesystem allows it.
 */






/** A remote store could not complete a transfer after its retries. */
class RemoteStoreError extends Error {
    store;
    operation;
    key;
    constructor(store, operation, key, detail) {
        super(`${store}: ${operation} of '${key}' failed: ${detail}`);
        this.store = store;
        this.operation = operation;
        this.key = key;
        this.name = 'RemoteStoreError';
    }
}
/** Whole transfers are retried on top of the packages' own request retries. */
const DEFAULT_RETRY = { attempts: 3, delayMs: 15_000 };
/**
 * @actions/cache swallows most failures: saveCache returns -1 and restoreCache returns undefined,
 * reporting the cause only as a log line (a ::warning::/::error:: command or "Failed to ..." info).
 * Watching those lines while the call runs is the only way to tell "not there" from "could not ask".
 */
async function watchPackageReports(call) {
    const reports = [];
    const original = process.stdout.write;
    const watcher = function (chunk, ...rest) {
        const text = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString() : '';
        for (const line of text.split(/\r?\n/)) {
            const m = /^::(warning|error)[^:]*::(.*)$/.exec(line);
            if (m)
                reports.push(decodeCommandText(m[2]));
            else if (/^Failed to (save|restore):/.test(line))
                reports.push(line);
        }
        return original.call(this, chunk, ...rest);
    };
    process.stdout.write = watcher;
    try {
        return { value: await call(), reports };
    }
    finally {
        if (process.stdout.write === watcher)
            process.stdout.write = original;
    }
}
function decodeCommandText(text) {
    return text.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');
}
/**
 * Verifies a downloaded snapshot against its metadata. A mismatch is logged as a warning (the
 * entry is corrupt) and the file removed; the caller treats it as a miss.
 */
async function verifyDownload(store, file, meta, started) {
    const { size } = await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_0__.stat)(file);
    _util_log_js__WEBPACK_IMPORTED_MODULE_3__/* .log */ .Rm.info(`${store}: fetched ${meta.key}: ${(0,_util_format_js__WEBPACK_IMPORTED_MODULE_5__/* .formatBytes */ .z3)(size)} at ${(0,_util_format_js__WEBPACK_IMPORTED_MODULE_5__/* .formatRate */ .CE)(size, (Date.now() - started) / 1000)}`);
    try {
        await (0,_meta_js__WEBPACK_IMPORTED_MODULE_4__/* .verifySnapshotFile */ .o_)(file, meta);
        return true;
    }
    catch (err) {
        _util_log_js__WEBPACK_IMPORTED_MODULE_3__/* .log */ .Rm.warning(`${store}: snapshot '${meta.key}' is corrupt (${(0,_util_errors_js__WEBPACK_IMPORTED_MODULE_2__/* .errorMessage */ .gJ)(err)}); treating it as a miss`);
        await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_0__.rm)(file, { force: true });
        return false;
    }
}
/** Places `source` at `target` by hard link when possible (no copy of gigabytes), else by copy. */
async function linkOrCopy(source, target) {
    await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_0__.mkdir)(node_path__WEBPACK_IMPORTED_MODULE_1___default().dirname(target), { recursive: true });
    await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_0__.rm)(target, { force: true });
    try {
        await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_0__.link)(source, target);
    }
    catch {
        await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_0__.copyFile)(source, target, node_fs_promises__WEBPACK_IMPORTED_MODULE_0__.constants.COPYFILE_FICLONE);
    }
}
/** Moves a file, copying across filesystems. */
async function moveFile(source, target) {
    await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_0__.mkdir)(node_path__WEBPACK_IMPORTED_MODULE_1___default().dirname(target), { recursive: true });
    try {
        await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_0__.rename)(source, target);
    }
    catch (err) {
        if (err.code !== 'EXDEV')
            throw err;
        await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_0__.copyFile)(source, target);
        await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_0__.rm)(source, { force: true });
    }
}


/***/ }),

/***/ 4266:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   Dr: () => (/* binding */ PermanentError),
/* harmony export */   LH: () => (/* binding */ withRetries)
/* harmony export */ });
/* unused harmony export retryDelayScale */
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(70017);
/* harmony import */ var _log_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(29906);
/**
 * Retrying work that can fail for a moment (a dropped connection, a 5xx, a 429): one policy type and one
 * loop for every caller — the remote stores, release downloads, the S3 client.
 */


/** Tests shorten every wait between attempts with PIZLIX_STAGE_RETRY_DELAY_SCALE (e.g. 0.01). */
function retryDelayScale(env = process.env) {
    const scale = Number(env.PIZLIX_STAGE_RETRY_DELAY_SCALE ?? 1);
    return Number.isFinite(scale) && scale >= 0 ? scale : 1;
}
/** An error that another attempt cannot fix (a corrupt archive, a validation error). */
class PermanentError extends Error {
    constructor(message) {
        super(message);
        this.name = 'PermanentError';
    }
}
/** Runs `attempt` until it succeeds, the error is not retryable, or the policy is used up; rethrows the last error. */
async function withRetries(what, policy, attempt, options = {}) {
    const retryable = options.isRetryable ?? ((err) => !(err instanceof PermanentError));
    let delay = policy.delayMs * retryDelayScale();
    for (let n = 1;; n++) {
        try {
            return await attempt(n);
        }
        catch (err) {
            if (n >= policy.attempts || !retryable(err))
                throw err;
            _log_js__WEBPACK_IMPORTED_MODULE_1__/* .log */ .Rm.warning(`${what} failed (attempt ${n} of ${policy.attempts}): ${(0,_errors_js__WEBPACK_IMPORTED_MODULE_0__/* .errorMessage */ .gJ)(err)}; retrying in ${(delay / 1000).toFixed(1)} s`);
            await new Promise((resolve) => setTimeout(resolve, delay));
            delay *= 2;
        }
    }
}


/***/ })

};
