export const id = 561;
export const ids = [561];
export const modules = {

/***/ 4561:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  ActionsCacheStore: () => (/* binding */ ActionsCacheStore)
});

// UNUSED EXPORTS: ACTIONS_CACHE_BUDGET, cacheBudgetWarning

// EXTERNAL MODULE: external "node:fs/promises"
var promises_ = __webpack_require__(51455);
// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __webpack_require__(76760);
var external_node_path_default = /*#__PURE__*/__webpack_require__.n(external_node_path_);
// EXTERNAL MODULE: ./node_modules/@actions/cache/lib/cache.js + 91 modules
var cache = __webpack_require__(18091);
// EXTERNAL MODULE: ./src/util/errors.ts
var errors = __webpack_require__(70017);
// EXTERNAL MODULE: ./src/util/format.ts
var format = __webpack_require__(32693);
// EXTERNAL MODULE: ./src/util/log.ts
var log = __webpack_require__(29906);
// EXTERNAL MODULE: ./src/util/progress.ts
var util_progress = __webpack_require__(65365);
// EXTERNAL MODULE: ./src/util/retry.ts
var retry = __webpack_require__(4266);
// EXTERNAL MODULE: ./src/store/meta.ts
var store_meta = __webpack_require__(45960);
// EXTERNAL MODULE: ./src/store/remote-common.ts
var remote_common = __webpack_require__(81837);
// EXTERNAL MODULE: external "node:timers/promises"
var external_node_timers_promises_ = __webpack_require__(58500);
;// CONCATENATED MODULE: ./src/util/poll.ts
/**
 * Waiting for a condition, the one way: in the style of the NixOS test driver's `retry`, an attempt is
 * made every `intervalMs` until it yields a value or the deadline passes. The attempt may throw to end
 * the wait at once (the guest died, the credentials were rejected): only `undefined` means "not yet".
 */


/** The attempt's first value; TimeoutError when none came before the deadline. */
async function waitUntil(options) {
    const deadline = Date.now() + options.timeoutSeconds * 1000;
    for (;;) {
        const value = await options.attempt();
        if (value !== undefined)
            return value;
        if (Date.now() + options.intervalMs > deadline) {
            const state = options.lastState?.();
            throw new errors/* TimeoutError */.MU(`waiting for ${options.what}${state ? ` (${state})` : ''}`, options.timeoutSeconds);
        }
        await (0,external_node_timers_promises_.setTimeout)(options.intervalMs);
    }
}

;// CONCATENATED MODULE: ./src/store/remote-staging.ts
/**
 * The fixed directory the Actions cache backend saves from and restores to. @actions/cache hashes
 * the exact path strings into each entry's "version", so every runner must use the same absolute
 * paths; and since restore writes exactly there, jobs sharing a machine take turns (a lock file).
 */




/** Default staging root. Changing it changes every cache version: entries saved elsewhere are not found. */
const DEFAULT_CACHE_STAGING = '/var/tmp/pizlix-stage-cache';
class CacheStaging {
    root;
    lockTimeoutMs;
    queue = Promise.resolve();
    announcedHolder = 0;
    constructor(root = DEFAULT_CACHE_STAGING, lockTimeoutMs = 2 * 3600_000) {
        this.root = root;
        this.lockTimeoutMs = lockTimeoutMs;
        if (!external_node_path_default().isAbsolute(root))
            throw new Error(`cache staging directory must be absolute, got '${root}'`);
    }
    /** Where a snapshot sits while it is saved or restored: the same string on every runner. */
    get snapshotPath() {
        return external_node_path_default().join(this.root, 'snapshot', 'snapshot');
    }
    /** Where meta.json sits while it is saved or restored. */
    get metaPath() {
        return external_node_path_default().join(this.root, 'meta', 'meta.json');
    }
    /** Runs `work` alone on this machine, with the staging directory emptied before and after. */
    exclusive(work) {
        const run = this.queue.then(() => this.underFileLock(work));
        this.queue = run.catch(() => undefined);
        return run;
    }
    async underFileLock(work) {
        await (0,promises_.mkdir)(this.root, { recursive: true });
        const lockFile = `${this.root}/.lock`;
        await this.acquire(lockFile);
        try {
            await this.clear();
            return await work();
        }
        finally {
            await this.clear().catch(() => undefined);
            await (0,promises_.rm)(lockFile, { force: true });
        }
    }
    async clear() {
        await (0,promises_.rm)(external_node_path_default().dirname(this.snapshotPath), { recursive: true, force: true });
        await (0,promises_.rm)(external_node_path_default().dirname(this.metaPath), { recursive: true, force: true });
    }
    async acquire(lockFile) {
        let holder = 0;
        await waitUntil({
            what: `${lockFile}`,
            timeoutSeconds: this.lockTimeoutMs / 1000,
            intervalMs: 500,
            lastState: () => `held by process ${holder}`,
            attempt: async () => {
                if (await claimLock(lockFile))
                    return true;
                holder = Number((await (0,promises_.readFile)(lockFile, 'utf8').catch(() => '')).trim());
                if (!holder || !isAlive(holder)) {
                    await (0,promises_.rm)(lockFile, { force: true }); // left by a process that died
                    return claimLock(lockFile).then((won) => won || undefined);
                }
                if (holder !== this.announcedHolder)
                    log/* log */.Rm.info(`waiting for process ${holder} to finish with ${this.root}`);
                this.announcedHolder = holder;
                return undefined;
            },
        });
    }
}
/** Takes the lock if it is free: written aside and hard-linked into place, so it never exists without its holder's pid. */
async function claimLock(lockFile) {
    const claim = `${lockFile}.${process.pid}`;
    await (0,promises_.writeFile)(claim, String(process.pid));
    try {
        await (0,promises_.link)(claim, lockFile);
        return true;
    }
    catch (err) {
        if (err.code !== 'EEXIST')
            throw err;
        return false;
    }
    finally {
        await (0,promises_.rm)(claim, { force: true });
    }
}
function isAlive(pid) {
    try {
        process.kill(pid, 0);
        return true;
    }
    catch (err) {
        return err.code === 'EPERM';
    }
}

// EXTERNAL MODULE: ./src/store/trust.ts
var trust = __webpack_require__(9751);
;// CONCATENATED MODULE: ./src/store/actions-cache.ts
/**
 * `store: actions-cache` — snapshots in the GitHub Actions cache, through @actions/cache.
 *
 * Layout: each snapshot is two cache entries, saved in this order:
 *   pizlix-stage/v1/<scope>/snapshot/<key>/<sha256>   the snapshot file (at a fixed staging path)
 *   pizlix-stage/v1/<scope>/meta/<key>/<sha256>       its meta.json
 * plus a small pointer `.../latest/<stage>/<time>` (a copy of meta.json) that `list(stage)` finds.
 * A lookup restores the newest meta entry under `.../meta/<key>/` (a prefix match: a few hundred
 * bytes) and then asks, without downloading, whether the snapshot entry it names exists. So:
 *   - an upload interrupted before its meta is saved leaves nothing a lookup returns;
 *   - a meta names its snapshot by checksum, so two jobs racing to publish one key can never pair
 *     one job's meta with the other's snapshot, and a rebuilt snapshot whose predecessor was evicted
 *     gets a new meta that shadows the stale one (entries are immutable; nothing can be overwritten);
 *   - lookups touch only the small entry, yet also confirm the large one was not evicted.
 * One entry holding both files would be atomic too, but reading its metadata would mean
 * downloading the whole snapshot.
 *
 * <scope> is `trusted` or `untrusted-<ref>`: trusted builds read only trusted entries; untrusted
 * builds read their own, then trusted ones. GitHub additionally scopes caches by branch.
 */












const NAMESPACE = 'pizlix-stage/v1';
/** The repository's cache budget on github.com. */
const ACTIONS_CACHE_BUDGET = 10 * 1024 ** 3;
/** Share of the budget above which one snapshot earns a warning. */
const BUDGET_WARNING_SHARE = 0.2;
const MAX_KEY_LENGTH = 300;
/** A warning for the job summary when one snapshot takes a large share of the cache budget. */
function cacheBudgetWarning(sizeBytes, budgetBytes = ACTIONS_CACHE_BUDGET) {
    const share = sizeBytes / budgetBytes;
    if (share < BUDGET_WARNING_SHARE)
        return undefined;
    return (`snapshot of ${(0,format/* formatBytes */.z3)(sizeBytes)} is ${(100 * share).toFixed(0)}% of the repository's ` +
        `${(0,format/* formatBytes */.z3)(budgetBytes)} Actions cache budget; GitHub evicts the least recently used entries beyond it ` +
        `(consider store: local on a shared disk, or store: artifact within one run)`);
}
class ActionsCacheStore {
    scope;
    kind = 'actions-cache';
    staging;
    segmentTimeoutMs;
    retry;
    budgetBytes;
    /** Warnings meant for the job summary (the budget warning), collected as they arise. */
    notices = [];
    constructor(scope, options = {}) {
        this.scope = scope;
        this.staging = new CacheStaging(options.stagingDir ?? DEFAULT_CACHE_STAGING);
        this.segmentTimeoutMs = options.segmentTimeoutMs ?? 5 * 60_000;
        this.retry = options.retry ?? remote_common/* DEFAULT_RETRY */.vI;
        this.budgetBytes = options.budgetBytes ?? ACTIONS_CACHE_BUDGET;
    }
    async lookup(key) {
        checkKey(key);
        return this.staging.exclusive(() => this.findEntry(key));
    }
    async fetch(key, workDir) {
        checkKey(key);
        return this.staging.exclusive(async () => {
            const entry = await this.findEntry(key);
            if (!entry)
                return undefined;
            const started = Date.now();
            const snapshotKey = entry.location;
            log/* log */.Rm.info(`actions-cache: restoring ${snapshotKey} (${(0,format/* formatBytes */.z3)(entry.meta.size)})`);
            let restored;
            try {
                restored = await this.restore(this.staging.snapshotPath, snapshotKey, { segmentTimeoutInMs: this.segmentTimeoutMs });
            }
            catch (err) {
                if (err instanceof retry/* PermanentError */.Dr) {
                    log/* log */.Rm.warning(`actions-cache: snapshot '${key}' is corrupt (${err.message}); treating it as a miss`);
                    return undefined;
                }
                throw new remote_common/* RemoteStoreError */.EG(this.kind, 'restore', key, (0,errors/* errorMessage */.gJ)(err));
            }
            if (!restored)
                throw new remote_common/* RemoteStoreError */.EG(this.kind, 'restore', key, `entry ${snapshotKey} vanished between lookup and restore (evicted?)`);
            const file = external_node_path_default().join(workDir, `${external_node_path_default().basename(key)}.snapshot`);
            await (0,remote_common/* moveFile */.mV)(this.staging.snapshotPath, file);
            if (!(await (0,remote_common/* verifyDownload */._G)(this.kind, file, entry.meta, started)))
                return undefined;
            return { file, meta: entry.meta };
        });
    }
    async publish(file, publishMeta) {
        checkKey(publishMeta.key);
        const meta = await (0,store_meta/* describeSnapshot */.e4)(file, publishMeta, this.scope);
        const entry = await this.staging.exclusive(async () => {
            const existing = await this.findEntry(meta.key);
            if (existing) {
                log/* log */.Rm.info(`actions-cache: ${meta.key} is already present (${existing.location})`);
                return existing;
            }
            const own = (0,trust/* writeScopeName */.rG)(this.scope);
            const snapshotKey = snapshotKeyOf(own, meta);
            const progress = new util_progress/* ByteProgress */.O(`actions-cache: upload ${meta.key}`, meta.size);
            await (0,remote_common/* linkOrCopy */.L7)(file, this.staging.snapshotPath);
            await this.save(this.staging.snapshotPath, snapshotKey);
            progress.add(meta.size);
            progress.finish();
            // The meta entry goes last: until it exists, lookups do not see the snapshot.
            await (0,promises_.mkdir)(external_node_path_default().dirname(this.staging.metaPath), { recursive: true });
            await (0,promises_.writeFile)(this.staging.metaPath, (0,store_meta/* encodeMeta */.eF)(meta));
            await this.save(this.staging.metaPath, `${metaPrefixOf(own, meta.key)}${meta.sha256}`);
            await this.saveLatestPointer(own, meta);
            return { meta, location: snapshotKey };
        });
        const warning = cacheBudgetWarning(meta.size, this.budgetBytes);
        if (warning) {
            log/* log */.Rm.warning(`actions-cache: ${warning}`);
            this.notices.push(warning);
        }
        return entry;
    }
    /**
     * The cache service cannot list entries. With a stage, this returns the newest entry of that stage
     * in each scope this build may read (found through the `latest/<stage>/` pointer entries by
     * prefix), newest first — enough for `plan` and time estimates. Without a stage it returns [].
     */
    async list(stage) {
        if (!stage)
            return [];
        return this.staging.exclusive(async () => {
            const entries = [];
            for (const scopeKey of (0,trust/* readableScopeNames */.FQ)(this.scope)) {
                const prefix = `${NAMESPACE}/${scopeKey}/latest/${stage}/`;
                const matched = await this.restoreNewest(this.staging.metaPath, prefix, 'list');
                if (!matched?.startsWith(prefix))
                    continue;
                const meta = await this.readStagedMeta().catch(() => undefined);
                if (!meta || meta.stage !== stage || !(0,trust/* mayUse */.p2)(this.scope, meta))
                    continue;
                const snapshotKey = snapshotKeyOf(scopeKey, meta);
                if (await this.exists(this.staging.snapshotPath, snapshotKey))
                    entries.push({ meta, location: snapshotKey });
            }
            return entries.sort((a, b) => b.meta.created.localeCompare(a.meta.created));
        });
    }
    /** Reads the newest meta entry of `key` in each readable scope; the first whose snapshot exists wins. */
    async findEntry(key) {
        for (const scopeKey of (0,trust/* readableScopeNames */.FQ)(this.scope)) {
            const prefix = metaPrefixOf(scopeKey, key);
            const matched = await this.restoreNewest(this.staging.metaPath, prefix, 'lookup');
            if (!matched?.startsWith(prefix))
                continue;
            let meta;
            try {
                meta = await this.readStagedMeta(key);
            }
            catch (err) {
                log/* log */.Rm.warning(`actions-cache: ignoring ${matched}: ${(0,errors/* errorMessage */.gJ)(err)}`);
                continue;
            }
            if (!(0,trust/* mayUse */.p2)(this.scope, meta)) {
                log/* log */.Rm.warning(`actions-cache: ignoring ${matched}: published by an untrusted build (${meta.ref})`);
                continue;
            }
            const snapshotKey = snapshotKeyOf(scopeKey, meta);
            if (await this.exists(this.staging.snapshotPath, snapshotKey))
                return { meta, location: snapshotKey };
            log/* log */.Rm.info(`actions-cache: ${matched} names ${snapshotKey}, which is gone (evicted); treating as a miss`);
        }
        return undefined;
    }
    async readStagedMeta(expectedKey) {
        return (0,store_meta/* decodeMeta */.ks)(await (0,promises_.readFile)(this.staging.metaPath, 'utf8'), expectedKey);
    }
    /** Whether an entry exists, without downloading it. */
    async exists(cachePath, key) {
        try {
            return await this.restore(cachePath, key, { lookupOnly: true });
        }
        catch (err) {
            throw new remote_common/* RemoteStoreError */.EG(this.kind, 'lookup', key, (0,errors/* errorMessage */.gJ)(err));
        }
    }
    /**
     * Restores exactly `key` (the service also matches keys by prefix; those do not count).
     * A failure the package only logged becomes an error: retried, then thrown. A corrupt archive
     * (tar or zstd refuse it) is a PermanentError, not retried.
     */
    async restore(cachePath, key, options) {
        return (0,retry/* withRetries */.LH)(`actions-cache: restore ${key}`, this.retry, async () => {
            const { value, reports } = await (0,remote_common/* watchPackageReports */.$o)(() => cache/* restoreCache */.P3([cachePath], key, [], options));
            if (value !== undefined)
                return value === key;
            if (reports.length > 0)
                throwRestoreFailure(reports);
            return false;
        });
    }
    /** Restores the newest entry whose key starts with `prefix`; returns its key. A corrupt one is reported and skipped. */
    async restoreNewest(cachePath, prefix, operation) {
        try {
            return await (0,retry/* withRetries */.LH)(`actions-cache: restore ${prefix}*`, this.retry, async () => {
                const { value, reports } = await (0,remote_common/* watchPackageReports */.$o)(() => cache/* restoreCache */.P3([cachePath], prefix, [prefix]));
                if (value === undefined && reports.length > 0)
                    throwRestoreFailure(reports);
                return value;
            });
        }
        catch (err) {
            if (err instanceof retry/* PermanentError */.Dr) {
                log/* log */.Rm.warning(`actions-cache: the newest entry under ${prefix} is corrupt (${err.message}); treating it as a miss`);
                return undefined;
            }
            throw new remote_common/* RemoteStoreError */.EG(this.kind, operation, prefix, (0,errors/* errorMessage */.gJ)(err));
        }
    }
    /**
     * Saves one path under `key`. saveCache returns -1 for most failures; then the entry may still
     * exist (saved by another job, or by an earlier attempt that failed later): that counts as saved.
     */
    async save(cachePath, key) {
        try {
            await (0,retry/* withRetries */.LH)(`actions-cache: save ${key}`, this.retry, async () => {
                let outcome;
                try {
                    outcome = await (0,remote_common/* watchPackageReports */.$o)(() => cache/* saveCache */.Io([cachePath], key));
                }
                catch (err) {
                    throw new retry/* PermanentError */.Dr((0,errors/* errorMessage */.gJ)(err)); // only validation errors throw
                }
                if (outcome.value !== -1)
                    return;
                if (await this.exists(cachePath, key)) {
                    log/* log */.Rm.info(`actions-cache: ${key} already exists; keeping it`);
                    return;
                }
                throw new Error(outcome.reports.join('; ') || 'saveCache returned -1');
            });
        }
        catch (err) {
            throw new remote_common/* RemoteStoreError */.EG(this.kind, 'save', key, (0,errors/* errorMessage */.gJ)(err));
        }
    }
    /** Best effort: a missing pointer only makes `list` miss an entry. */
    async saveLatestPointer(scopeKey, meta) {
        const pointer = `${NAMESPACE}/${scopeKey}/latest/${meta.stage}/${String(Date.parse(meta.created)).padStart(15, '0')}`;
        try {
            await this.save(this.staging.metaPath, pointer);
        }
        catch (err) {
            log/* log */.Rm.warning(`actions-cache: could not save ${pointer} (list will not show this entry): ${(0,errors/* errorMessage */.gJ)(err)}`);
        }
    }
}
/**
 * Turns what restoreCache only logged into an error: an archive tar or zstd refuse is corrupt
 * (PermanentError, not retried); anything else (service, network) is worth another attempt.
 */
function throwRestoreFailure(reports) {
    const report = reports.join('; ');
    if (/\b(tar|zstd|unzstd|gzip)\b.*(fail|error)|exit code/i.test(report))
        throw new retry/* PermanentError */.Dr(report);
    throw new Error(report);
}
function metaPrefixOf(scopeKey, key) {
    return `${NAMESPACE}/${scopeKey}/meta/${key}/`;
}
function snapshotKeyOf(scopeKey, meta) {
    return `${NAMESPACE}/${scopeKey}/snapshot/${meta.key}/${meta.sha256}`;
}
function checkKey(key) {
    if (!key || key.length > MAX_KEY_LENGTH || /[,\s/]/.test(key)) {
        throw new errors/* InputError */.dz('key', `'${key}' cannot name an Actions cache entry`, `1 to ${MAX_KEY_LENGTH} characters without commas, spaces or slashes`);
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
