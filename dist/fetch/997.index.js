export const id = 997;
export const ids = [997];
export const modules = {

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

/***/ 98997:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  S3Store: () => (/* binding */ S3Store)
});

// EXTERNAL MODULE: external "node:fs/promises"
var promises_ = __webpack_require__(51455);
// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __webpack_require__(76760);
var external_node_path_default = /*#__PURE__*/__webpack_require__.n(external_node_path_);
// EXTERNAL MODULE: ./node_modules/@aws-sdk/client-s3/dist-cjs/index.js
var dist_cjs = __webpack_require__(53711);
// EXTERNAL MODULE: ./src/util/errors.ts
var errors = __webpack_require__(70017);
// EXTERNAL MODULE: ./src/util/format.ts
var format = __webpack_require__(32693);
// EXTERNAL MODULE: ./src/util/log.ts
var log = __webpack_require__(29906);
// EXTERNAL MODULE: ./src/util/progress.ts
var util_progress = __webpack_require__(65365);
// EXTERNAL MODULE: ./src/store/meta.ts
var store_meta = __webpack_require__(45960);
// EXTERNAL MODULE: ./src/store/remote-common.ts
var remote_common = __webpack_require__(81837);
// EXTERNAL MODULE: external "node:http"
var external_node_http_ = __webpack_require__(37067);
var external_node_http_default = /*#__PURE__*/__webpack_require__.n(external_node_http_);
// EXTERNAL MODULE: external "node:https"
var external_node_https_ = __webpack_require__(44708);
var external_node_https_default = /*#__PURE__*/__webpack_require__.n(external_node_https_);
// EXTERNAL MODULE: ./node_modules/@actions/core/lib/core.js + 7 modules
var core = __webpack_require__(33838);
// EXTERNAL MODULE: ./src/util/retry.ts
var retry = __webpack_require__(4266);
;// CONCATENATED MODULE: ./src/store/s3-client.ts
/**
 * The AWS SDK client of the s3 store, and what its errors mean: not there, lost a conditional write,
 * worth another attempt (5xx, 429, a dropped or stalled connection), or final (403, 400 …).
 *
 * Credentials come from the SDK's default chain (environment, shared files, web identity as
 * aws-actions/configure-aws-credentials sets it up, container and instance roles); this module never
 * reads or prints them.
 */







/** Parallel connections: parts in flight for uploads and downloads, plus small requests beside them. */
const MAX_SOCKETS = 16;
/** A connection silent this long is dropped (and the request retried): a stalled transfer fails instead of hanging. */
const SOCKET_IDLE_MS = Number(process.env.PIZLIX_STAGE_S3_IDLE_MS ?? 300_000);
function createS3Client(location) {
    maskCredentialsInTheLog();
    const client = new dist_cjs.S3Client({
        region: location.region,
        endpoint: location.endpoint,
        forcePathStyle: location.forcePathStyle,
        // The SDK's request retries (5xx, 429, connection errors) for each request, a part included; the
        // store retries whole steps on top of them (withRetries).
        maxAttempts: 3,
        // Checksums only where the API requires them: the flexible CRC checksums the SDK adds by default
        // are refused or stored as part of the object by several S3-compatible servers (MinIO, Ceph and R2
        // releases; s3rver keeps the aws-chunked framing). Integrity is the store's own end-to-end sha256.
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
        requestHandler: {
            connectionTimeout: 30_000,
            requestTimeout: SOCKET_IDLE_MS,
            httpAgent: new (external_node_http_default()).Agent({ keepAlive: true, maxSockets: MAX_SOCKETS }),
            httpsAgent: new (external_node_https_default()).Agent({ keepAlive: true, maxSockets: MAX_SOCKETS }),
        },
    });
    // Upload parts go unsigned (UNSIGNED-PAYLOAD, as the SDKs send streams over TLS): signing would hash
    // every snapshot byte a second time on the runner. What guards the bytes is the sha256 the signed
    // commit record carries, checked on every fetch; over plain http nothing else would (responses are
    // never signed).
    client.middlewareStack.add((next, context) => async (args) => {
        const request = args.request;
        if (context.commandName === 'UploadPartCommand' && request.headers)
            request.headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
        return next(args);
    }, { step: 'build', name: 'pizlixUnsignedUploadParts' });
    return client;
}
/** In a job, credentials found in the environment are masked in the log (configure-aws-credentials masks its own). */
function maskCredentialsInTheLog(env = process.env) {
    if (env.GITHUB_ACTIONS !== 'true')
        return;
    for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN']) {
        const value = env[name];
        if (value)
            core/* setSecret */.Pq(value);
    }
}
function statusOf(err) {
    return err instanceof dist_cjs.S3ServiceException ? err.$metadata?.httpStatusCode : undefined;
}
function isNotFound(err) {
    const name = err?.name;
    return name === 'NoSuchKey' || name === 'NotFound' || statusOf(err) === 404;
}
/** Another writer committed first (412), or is committing right now (409), under `If-None-Match: *`. */
function isConditionalConflict(err) {
    const status = statusOf(err);
    return status === 412 || status === 409;
}
/** The server does not implement a request header we sent (a conditional write on an older server). */
function isNotImplemented(err) {
    return statusOf(err) === 501 || err?.name === 'NotImplemented';
}
/** 5xx, 429 and anything that is not an answer of the service (a reset, a timeout, a truncated body). */
function isRetryable(err) {
    if (err instanceof retry/* PermanentError */.Dr)
        return false;
    const status = statusOf(err);
    if (status === undefined)
        return !(err instanceof remote_common/* RemoteStoreError */.EG) && err?.name !== 'IntegrityError';
    return status >= 500 || status === 429;
}
/** A short reason for logs and errors: the S3 error code and status, or the network error. */
function describeS3Error(err) {
    const status = statusOf(err);
    const code = err.Code ?? err.name;
    return status !== undefined ? `${code} (HTTP ${status}): ${(0,errors/* errorMessage */.gJ)(err)}` : (0,errors/* errorMessage */.gJ)(err);
}
/** Runs one step against the bucket with retries; after them, a RemoteStoreError naming the step. */
async function s3Step(operation, key, policy, attempt) {
    try {
        return await (0,retry/* withRetries */.LH)(`s3: ${operation} of ${key}`, policy, attempt, { isRetryable });
    }
    catch (err) {
        if (err instanceof remote_common/* RemoteStoreError */.EG)
            throw err;
        throw new remote_common/* RemoteStoreError */.EG('s3', operation, key, describeS3Error(err));
    }
}

// EXTERNAL MODULE: ./src/store/s3-layout.ts
var s3_layout = __webpack_require__(79982);
// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __webpack_require__(77598);
// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __webpack_require__(73024);
// EXTERNAL MODULE: external "node:stream"
var external_node_stream_ = __webpack_require__(57075);
// EXTERNAL MODULE: ./node_modules/@aws-sdk/lib-storage/dist-cjs/index.js
var lib_storage_dist_cjs = __webpack_require__(22358);
;// CONCATENATED MODULE: ./src/store/s3-transfer.ts
/**
 * Moving snapshot bytes to and from a bucket with bounded memory, whatever the size:
 *
 * - upload: @aws-sdk/lib-storage's multipart Upload (parts in parallel, at most `queue` parts in
 *   memory), fed by one read of the file that also measures its size and sha256 on the way;
 * - download: ranged GETs, a few in flight, each part written at its offset as it arrives. The sha256 is
 *   computed in file order as parts complete, so no second read is needed; a part waits to start while
 *   the part `window` parts before it is still unhashed, which bounds memory to `window` parts.
 *   lib-storage has no download side; this is the small piece no well-kept library offers.
 *
 * Each part of a download is retried on its own (a dropped connection mid-part costs that part only);
 * the SDK retries each upload part's request.
 */








const DEFAULT_TUNING = {
    partBytes: Number(process.env.PIZLIX_STAGE_S3_PART_MB ?? 16) * 1024 ** 2,
    parallel: Number(process.env.PIZLIX_STAGE_S3_PARALLEL ?? 4),
};
/** S3 allows at most 10,000 parts; larger files get larger parts. */
const MAX_PARTS = 10_000;
/** Uploads a file to one object; returns the size and sha256 of exactly the bytes sent. */
async function uploadFile(client, target, file, progress, tuning = DEFAULT_TUNING) {
    const { size: expected } = await (0,promises_.stat)(file);
    const hash = (0,external_node_crypto_.createHash)('sha256');
    let size = 0;
    const body = (0,external_node_fs_.createReadStream)(file, { highWaterMark: 1 << 20 }).pipe(new external_node_stream_.Transform({
        transform(chunk, _enc, cb) {
            hash.update(chunk);
            size += chunk.length;
            cb(null, chunk);
        },
    }));
    const upload = new lib_storage_dist_cjs/* Upload */._({
        client,
        params: { Bucket: target.bucket, Key: target.key, Body: body, ContentType: 'application/octet-stream' },
        partSize: Math.max(tuning.partBytes, Math.ceil(expected / MAX_PARTS)),
        queueSize: tuning.parallel,
        // lib-storage would abort on failure and throw the abort's error instead of the cause on servers
        // without AbortMultipartUpload (s3rver); the store aborts itself below, best effort.
        leavePartsOnError: true,
    });
    let reported = 0;
    upload.on('httpUploadProgress', (p) => {
        if (p.loaded !== undefined && p.loaded > reported) {
            progress.add(p.loaded - reported);
            reported = p.loaded;
        }
    });
    try {
        await upload.done();
    }
    catch (err) {
        body.destroy();
        if (upload.uploadId) {
            await client.send(new dist_cjs.AbortMultipartUploadCommand({ Bucket: target.bucket, Key: target.key, UploadId: upload.uploadId })).catch(() => undefined);
        }
        throw err;
    }
    if (reported < size)
        progress.add(size - reported);
    return { size, sha256: hash.digest('hex') };
}
/** Downloads `size` bytes of one object into `file` by ranged GETs; returns what arrived, measured. */
async function downloadFile(client, source, size, file, progress, partRetry, tuning = DEFAULT_TUNING) {
    const handle = await (0,promises_.open)(file, 'w');
    const hasher = new InOrderHasher();
    const partBytes = Math.max(tuning.partBytes, Math.ceil(size / MAX_PARTS));
    const parts = Math.ceil(size / partBytes);
    const window = tuning.parallel * 2;
    let next = 0;
    let failed = false;
    const worker = async () => {
        while (next < parts && !failed) {
            const index = next++;
            await hasher.waitForRoom(index, window);
            const start = index * partBytes;
            const end = Math.min(size, start + partBytes) - 1;
            const chunks = await (0,retry/* withRetries */.LH)(`s3: GET ${source.key} bytes ${start}-${end}`, partRetry, () => getRange(client, source, start, end, handle, progress), {
                isRetryable: isRetryable,
            });
            hasher.add(index, chunks);
        }
    };
    try {
        // Every worker finishes (or fails) before the file is closed; the first failure is the one reported.
        const outcomes = await Promise.allSettled(Array.from({ length: Math.min(tuning.parallel, Math.max(parts, 1)) }, () => worker().catch((err) => {
            failed = true;
            hasher.abort();
            throw err;
        })));
        const failure = outcomes.find((o) => o.status === 'rejected');
        if (failure)
            throw failure.reason;
        await handle.sync();
    }
    finally {
        await handle.close();
    }
    return { size: hasher.bytes, sha256: hasher.digest() };
}
/** One ranged GET, its body written at its offset as it arrives; a short body (a connection dropped mid-part) is an error worth another attempt. */
async function getRange(client, source, start, end, handle, progress) {
    const response = await client.send(new dist_cjs.GetObjectCommand({ Bucket: source.bucket, Key: source.key, Range: `bytes=${start}-${end}` }));
    const chunks = [];
    let length = 0;
    try {
        for await (const chunk of response.Body) {
            await handle.write(chunk, 0, chunk.length, start + length);
            chunks.push(chunk);
            length += chunk.length;
            progress.add(chunk.length);
        }
        if (length !== end - start + 1)
            throw new Error(`part ${start}-${end} of ${source.key} came back with ${length} bytes`);
    }
    catch (err) {
        progress.add(-length);
        throw err;
    }
    return chunks;
}
/** sha256 over parts that complete out of order, fed in order; parts wait for room so memory stays bounded. */
class InOrderHasher {
    hash = (0,external_node_crypto_.createHash)('sha256');
    pending = new Map();
    nextToHash = 0;
    waiters = [];
    aborted = false;
    bytes = 0;
    add(index, chunks) {
        this.pending.set(index, chunks);
        for (let part = this.pending.get(this.nextToHash); part; part = this.pending.get(this.nextToHash)) {
            for (const chunk of part) {
                this.hash.update(chunk);
                this.bytes += chunk.length;
            }
            this.pending.delete(this.nextToHash++);
        }
        this.wake();
    }
    async waitForRoom(index, window) {
        while (!this.aborted && index >= this.nextToHash + window)
            await new Promise((resolve) => this.waiters.push(resolve));
    }
    abort() {
        this.aborted = true;
        this.wake();
    }
    digest() {
        return this.hash.digest('hex');
    }
    wake() {
        const waiters = this.waiters;
        this.waiters = [];
        for (const resolve of waiters)
            resolve();
    }
}

// EXTERNAL MODULE: ./src/store/trust.ts
var trust = __webpack_require__(9751);
;// CONCATENATED MODULE: ./src/store/s3.ts
/**
 * `store: s3` — snapshots in an S3-compatible bucket (AWS S3, MinIO, Ceph RGW, Cloudflare R2, Garage),
 * for fleets of runners without a shared disk. Layout (s3-layout.ts), per trust scope
 * (`trusted` or `untrusted/<ref>`):
 *
 *   <prefix>/<scope>/snapshots/<key>/<upload id>   the snapshot, one object per publish
 *   <prefix>/<scope>/meta/<key>.json               the commit record: the metadata (meta.ts), and in its
 *                                                  S3 user metadata `snapshot` the upload id it names
 *   <prefix>/<scope>/index/<stage>/<key>           empty; list(stage) lists these, and their
 *                                                  LastModified is the entry's last use
 *
 * Commit protocol — correct on servers that write objects in place and ignore conditions (s3rver),
 * atomic on those that honour `If-None-Match: *` (AWS S3 and most others):
 *   1. publish uploads the snapshot (multipart) to a name no other publish uses (its upload id),
 *      hashing the bytes as they go, then checks with HEAD that the server holds exactly that size;
 *   2. only then writes the metadata object, with `If-None-Match: *`. A killed upload therefore never
 *      leaves metadata: there is no metadata without a complete snapshot object, and a metadata
 *      object only ever names its own publisher's object, whose size and sha256 it records;
 *   3. when two jobs publish one key, the conditional write lets one win (the other gets 412, deletes
 *      its own object and returns the winner's entry). Where the server ignores the condition, the last
 *      write wins; each publisher reads the record back, and one that finds another's upload id deletes
 *      its own object and returns the winner's. Either way both succeed and one valid entry remains (at
 *      worst an orphaned snapshot object, which eviction removes after a day).
 * A lookup GETs the metadata object of each readable scope (no listing, no download) and HEADs the
 * object it names: gone or of another size is a miss. A fetch downloads by ranged parallel GETs and
 * checks size and sha256; a mismatch is a miss, and the entry is uncommitted (its metadata deleted,
 * where the credential may) so that the rebuilt snapshot can take its place.
 *
 * Trust: a build writes only its own scope; trusted builds read only `trusted/` and also refuse any
 * metadata that says an untrusted build published it (mayUse). Which credential may write `trusted/`
 * is the bucket's policy (README): that is where the separation is enforced.
 */













/** A snapshot object no metadata names is removed by eviction only after this long (it may be a publish in progress). */
const ORPHAN_AGE_MS = 24 * 3600_000;
/** Retries of each ranged GET of a download, on top of the SDK's request retries. */
const PART_RETRY = { attempts: 4, delayMs: 2_000 };
/** The user-metadata field of a commit record that names its snapshot object. */
const SNAPSHOT_FIELD = 'snapshot';
class S3Store {
    scope;
    options;
    kind = 's3';
    client;
    own;
    readable;
    retry;
    partRetry;
    tuning;
    /** Turned off when the server answers a conditional write with 501. */
    conditionalWrites = true;
    constructor(scope, options) {
        this.scope = scope;
        this.options = options;
        const { prefix } = options.location;
        this.client = createS3Client(options.location);
        this.own = new s3_layout/* ScopeLayout */.Zy(prefix, (0,trust/* writeScopeName */.rG)(scope, s3_layout/* SCOPE_SEPARATOR */.NB));
        this.readable = (0,trust/* readableScopeNames */.FQ)(scope, s3_layout/* SCOPE_SEPARATOR */.NB).map((name) => new s3_layout/* ScopeLayout */.Zy(prefix, name));
        this.retry = options.retry ?? remote_common/* DEFAULT_RETRY */.vI;
        this.partRetry = options.partRetry ?? PART_RETRY;
        this.tuning = options.tuning ?? DEFAULT_TUNING;
    }
    get bucket() {
        return this.options.location.bucket;
    }
    /** s3://bucket/prefix, for messages. */
    get where() {
        return `s3://${this.bucket}/${this.options.location.prefix}`;
    }
    async lookup(key) {
        (0,s3_layout/* checkNameSegment */.xW)('key', key);
        return (await this.findEntry(key))?.entry;
    }
    async fetch(key, workDir) {
        (0,s3_layout/* checkNameSegment */.xW)('key', key);
        // A second look when the object vanished mid-download: a racing publisher replaced the entry.
        for (let look = 1;; look++) {
            const found = await this.findEntry(key);
            if (!found)
                return undefined;
            const { meta } = found.entry;
            await (0,promises_.mkdir)(workDir, { recursive: true });
            const file = external_node_path_default().join(workDir, `${key}.snapshot`);
            const progress = new util_progress/* ByteProgress */.O(`s3: download ${key}`, meta.size);
            let measured;
            try {
                measured = await downloadFile(this.client, { bucket: this.bucket, key: found.object }, meta.size, file, progress, this.partRetry, this.tuning);
            }
            catch (err) {
                await (0,promises_.rm)(file, { force: true });
                if (isNotFound(err) && look === 1) {
                    log/* log */.Rm.info(`s3: ${found.object} went away while downloading; looking ${key} up again`);
                    continue;
                }
                throw new remote_common/* RemoteStoreError */.EG(this.kind, 'fetch', key, describeS3Error(err));
            }
            progress.finish();
            try {
                (0,store_meta/* checkMeasured */.Ds)(`s3://${this.bucket}/${found.object}`, measured, meta);
            }
            catch (err) {
                log/* log */.Rm.warning(`s3: snapshot '${key}' is corrupt (${(0,errors/* errorMessage */.gJ)(err)}); treating it as a miss`);
                await (0,promises_.rm)(file, { force: true });
                await this.uncommit(found);
                return undefined;
            }
            await this.markUsed(found);
            return { file, meta };
        }
    }
    async publish(file, partial) {
        (0,s3_layout/* checkNameSegment */.xW)('key', partial.key);
        (0,s3_layout/* checkNameSegment */.xW)('stage', partial.stage);
        const existing = await this.readEntry(this.own, partial.key);
        if (existing) {
            log/* log */.Rm.info(`s3: ${partial.key} is already present (${existing.entry.location})`);
            return existing.entry;
        }
        const uploadId = (0,s3_layout/* newUploadId */.nJ)();
        const object = this.own.snapshot(partial.key, uploadId);
        const { size } = await (0,promises_.stat)(file);
        const measured = await s3Step('upload', partial.key, this.retry, async () => {
            const progress = new util_progress/* ByteProgress */.O(`s3: upload ${partial.key}`, size);
            const sent = await uploadFile(this.client, { bucket: this.bucket, key: object }, file, progress, this.tuning);
            progress.finish();
            return sent;
        });
        const meta = (0,store_meta/* completeMeta */.fm)(partial, measured, this.scope);
        const stored = await this.head(object, partial.key);
        if (stored?.size !== meta.size) {
            await this.deleteQuietly(object);
            throw new remote_common/* RemoteStoreError */.EG(this.kind, 'upload', partial.key, `the server holds ${stored ? `${stored.size} bytes` : 'nothing'} at ${object} after ${meta.size} were sent`);
        }
        const entry = await this.commit(meta, uploadId, object);
        await this.writeIndexMarker(this.own, entry.meta);
        if (this.options.maxBytes !== undefined)
            await this.evict(this.options.maxBytes, entry.meta.key);
        return entry;
    }
    async list(stage) {
        if (stage)
            (0,s3_layout/* checkNameSegment */.xW)('stage', stage);
        const entries = [];
        for (const layout of this.readable) {
            const listed = await this.listObjects(stage ? layout.indexOf(stage) : layout.metas, stage ?? '*');
            const keys = listed.map((o) => external_node_path_default().posix.basename(o.name).replace(/\.json$/, ''));
            for (const key of new Set(keys)) {
                const found = await this.readEntry(layout, key);
                if (found && (!stage || found.entry.meta.stage === stage))
                    entries.push(found.entry);
            }
        }
        return entries.sort((a, b) => b.meta.created.localeCompare(a.meta.created));
    }
    /** The first readable scope's usable entry of `key`. */
    async findEntry(key) {
        for (const layout of this.readable) {
            const found = await this.readEntry(layout, key);
            if (found)
                return found;
        }
        return undefined;
    }
    /** GET the commit record, check it, HEAD the object it names. Anything wrong is a miss, reported. */
    async readEntry(layout, key) {
        const name = layout.meta(key);
        const record = await this.readRecord(name, key);
        if (!record)
            return undefined;
        let meta;
        try {
            meta = (0,store_meta/* decodeMeta */.ks)(record.text, key);
        }
        catch (err) {
            log/* log */.Rm.warning(`s3: ignoring ${name}: ${(0,errors/* errorMessage */.gJ)(err)}`);
            return undefined;
        }
        if (!(0,trust/* mayUse */.p2)(this.scope, meta)) {
            log/* log */.Rm.warning(`s3: ignoring ${name}: published by an untrusted build (${meta.ref})`);
            return undefined;
        }
        if (!record.uploadId || !/^[A-Za-z0-9-]+$/.test(record.uploadId)) {
            log/* log */.Rm.warning(`s3: ignoring ${name}: it names no snapshot object`);
            return undefined;
        }
        const object = layout.snapshot(key, record.uploadId);
        const stored = await this.head(object, key);
        if (!stored) {
            log/* log */.Rm.info(`s3: ${name} names ${object}, which is gone; treating it as a miss`);
            return undefined;
        }
        if (stored.size !== meta.size) {
            log/* log */.Rm.warning(`s3: ${object} has ${stored.size} bytes, its metadata says ${meta.size}: corrupt; treating it as a miss`);
            return undefined;
        }
        return { entry: { meta, location: `s3://${this.bucket}/${object}` }, layout, uploadId: record.uploadId, object };
    }
    async readRecord(name, key) {
        return s3Step('lookup', key, this.retry, async () => {
            try {
                const response = await this.client.send(new dist_cjs.GetObjectCommand({ Bucket: this.bucket, Key: name }));
                return { text: (await response.Body?.transformToString()) ?? '', uploadId: response.Metadata?.[SNAPSHOT_FIELD] };
            }
            catch (err) {
                if (isNotFound(err))
                    return undefined;
                throw err;
            }
        });
    }
    async head(object, key) {
        return s3Step('lookup', key, this.retry, async () => {
            try {
                const response = await this.client.send(new dist_cjs.HeadObjectCommand({ Bucket: this.bucket, Key: object }));
                return { size: response.ContentLength ?? -1 };
            }
            catch (err) {
                if (isNotFound(err))
                    return undefined;
                throw err;
            }
        });
    }
    /** Step 2 and 3 of the protocol: the commit record, written last; the winner's entry when another publisher won. */
    async commit(meta, uploadId, object) {
        const ours = { meta, location: `s3://${this.bucket}/${object}` };
        const outcome = await this.writeRecord(meta, uploadId, this.conditionalWrites);
        if (outcome === 'written') {
            const record = await this.readRecord(this.own.meta(meta.key), meta.key);
            if (record?.uploadId === uploadId)
                return ours;
        }
        // Another publisher's record stands (a 412, or a later unconditional write over ours).
        const winner = await this.readEntry(this.own, meta.key);
        if (winner) {
            log/* log */.Rm.info(`s3: ${meta.key} was published concurrently by another job; keeping that entry (${winner.entry.location})`);
            await this.deleteQuietly(object);
            return winner.entry;
        }
        // The record that stands names no intact snapshot (its object expired or was deleted): replace it.
        log/* log */.Rm.info(`s3: the record of ${meta.key} names no intact snapshot; replacing it with this one`);
        await this.writeRecord(meta, uploadId, false);
        return ours;
    }
    async writeRecord(meta, uploadId, conditional) {
        const put = (ifNoneMatch) => this.client.send(new dist_cjs.PutObjectCommand({
            Bucket: this.bucket,
            Key: this.own.meta(meta.key),
            Body: (0,store_meta/* encodeMeta */.eF)(meta),
            ContentType: 'application/json',
            Metadata: { [SNAPSHOT_FIELD]: uploadId },
            ...(ifNoneMatch ? { IfNoneMatch: '*' } : {}),
        }));
        return s3Step('commit', meta.key, this.retry, async () => {
            try {
                await put(conditional);
                return 'written';
            }
            catch (err) {
                if (conditional && isNotImplemented(err)) {
                    log/* log */.Rm.info(`s3: the server does not implement conditional writes; committing without (the record is read back instead)`);
                    this.conditionalWrites = false;
                    await put(false);
                    return 'written';
                }
                if (conditional && isConditionalConflict(err))
                    return 'exists';
                throw err;
            }
        });
    }
    /** Removes the commit record of a corrupt entry (so a rebuild can take its place), then its object; best effort. */
    async uncommit(found) {
        const key = found.entry.meta.key;
        const name = found.layout.meta(key);
        try {
            const record = await this.readRecord(name, key);
            if (record?.uploadId !== found.uploadId)
                return; // replaced meanwhile: not ours to remove
            await this.client.send(new dist_cjs.DeleteObjectCommand({ Bucket: this.bucket, Key: name }));
            await this.client.send(new dist_cjs.DeleteObjectCommand({ Bucket: this.bucket, Key: found.object }));
            log/* log */.Rm.warning(`s3: removed the corrupt entry ${key} (${name}); the stage will be built and published again`);
        }
        catch (err) {
            log/* log */.Rm.warning(`s3: could not remove the corrupt entry ${name} (${describeS3Error(err)}); it stays a miss for this build`);
        }
    }
    /** The index marker: found by list(stage); written again on each use, its LastModified orders eviction. */
    async writeIndexMarker(layout, meta) {
        await this.client
            .send(new dist_cjs.PutObjectCommand({ Bucket: this.bucket, Key: layout.indexMarker(meta.stage, meta.key), Body: '', ContentLength: 0 }))
            .catch((err) => log/* log */.Rm.debug(`s3: index marker of ${meta.key} not written: ${describeS3Error(err)}`));
    }
    async markUsed(found) {
        try {
            (0,s3_layout/* checkNameSegment */.xW)('stage', found.entry.meta.stage);
        }
        catch {
            return;
        }
        // A pull request's credential may not write trusted/: its uses of trusted entries are not recorded.
        await this.writeIndexMarker(found.layout, found.entry.meta);
    }
    async deleteQuietly(object) {
        await this.client.send(new dist_cjs.DeleteObjectCommand({ Bucket: this.bucket, Key: object })).catch(() => undefined);
    }
    async listObjects(prefix, key) {
        const objects = [];
        let token;
        do {
            const page = await s3Step('list', key, this.retry, () => this.client.send(new dist_cjs.ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token })));
            for (const o of page.Contents ?? [])
                objects.push({ name: o.Key ?? '', size: o.Size ?? 0, modified: o.LastModified?.getTime() ?? 0 });
            token = page.IsTruncated ? page.NextContinuationToken : undefined;
        } while (token);
        return objects;
    }
    /**
     * Keeps the prefix under `maxBytes`: removes orphaned snapshot objects older than a day, then whole
     * entries, least recently used first (record first, so no reader sees an entry without its object).
     * Entries of every scope count; what this credential may not delete is reported and kept.
     */
    async evict(maxBytes, keep) {
        try {
            const entries = await this.inventory();
            let total = [...entries.values()].reduce((sum, e) => sum + e.snapshots.reduce((s, o) => s + o.size, 0), 0);
            const now = Date.now();
            for (const entry of entries.values()) {
                const referenced = entry.record ? (await this.readRecord(entry.record.name, entry.key))?.uploadId : undefined;
                for (const snapshot of entry.snapshots) {
                    if (snapshot.name.endsWith(`/${referenced}`) || now - snapshot.modified < ORPHAN_AGE_MS)
                        continue;
                    await this.client.send(new dist_cjs.DeleteObjectCommand({ Bucket: this.bucket, Key: snapshot.name }));
                    total -= snapshot.size;
                    entry.snapshots = entry.snapshots.filter((s) => s !== snapshot);
                    log/* log */.Rm.info(`s3: removed ${snapshot.name} (${(0,format/* formatBytes */.z3)(snapshot.size)}), a snapshot object no entry names`);
                }
            }
            const byUse = [...entries.values()].filter((e) => e.record).sort((a, b) => a.lastUsed - b.lastUsed);
            for (const entry of byUse) {
                if (total <= maxBytes)
                    break;
                if (entry.key === keep && entry.scope === this.own.scope)
                    continue;
                const size = entry.snapshots.reduce((s, o) => s + o.size, 0);
                for (const name of [entry.record.name, ...entry.markers, ...entry.snapshots.map((s) => s.name)]) {
                    await this.client.send(new dist_cjs.DeleteObjectCommand({ Bucket: this.bucket, Key: name }));
                }
                total -= size;
                log/* log */.Rm.info(`s3: evicted ${entry.scope}/${entry.key} (${(0,format/* formatBytes */.z3)(size)}, last used ${new Date(entry.lastUsed).toISOString()}) to keep ${this.where} under ${(0,format/* formatBytes */.z3)(maxBytes)}`);
            }
        }
        catch (err) {
            log/* log */.Rm.warning(`s3: eviction stopped: ${describeS3Error(err)} (store-max-size is not enforced until a credential that may delete there runs it)`);
        }
    }
    /** Every entry under the prefix, from one listing: its record, index markers, snapshot objects and last use. */
    async inventory() {
        const entries = new Map();
        const { prefix } = this.options.location;
        for (const object of await this.listObjects(`${prefix}/`, '*')) {
            const parsed = (0,s3_layout/* parseObjectName */.ye)(prefix, object.name);
            if (!parsed)
                continue;
            const id = `${parsed.scope}\n${parsed.key}`;
            const entry = entries.get(id) ?? { scope: parsed.scope, key: parsed.key, snapshots: [], markers: [], lastUsed: 0 };
            entries.set(id, entry);
            if (parsed.kind === 'meta')
                entry.record = object;
            else if (parsed.kind === 'snapshot')
                entry.snapshots.push(object);
            else
                entry.markers.push(object.name);
            if (parsed.kind !== 'snapshot')
                entry.lastUsed = Math.max(entry.lastUsed, object.modified);
        }
        return entries;
    }
}


/***/ })

};
