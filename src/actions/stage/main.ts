/** pizlix/stage: build one Pizlix stage, or reuse its snapshot from the store. */
import * as core from '@actions/core';
import { StageScriptError, errorMessage } from '../../util/errors.js';
import { useActionsLogging } from '../../util/log.js';
import { runStage } from '../../build/run-stage.js';
import { STAGE_TABLE_HEADER, describeCompilerCache, logTail, stageTableRow } from '../../build/report.js';
import { openStore } from '../../store/index.js';
import { actionContext, readActionOptions } from '../../options/surfaces.js';
import { outputSummaryLines } from '../../build/report.js';
import { scratchDir, storeRequest } from '../../options/common.js';
import { stageOptions } from '../../options/stage.js';

async function main(): Promise<void> {
  useActionsLogging();
  // The post step unmounts whatever is left below $LFS, even when this step fails or is cancelled.
  core.saveState('lfs', core.getInput('lfs') || '/mnt/lfs');
  const stage = core.getInput('stage') || '(none)';
  try {
    const options = readActionOptions(stageOptions);
    const store = await openStore(storeRequest(options));
    const result = await runStage({
      stage: options.stage,
      pizlixDir: options.pizlixDir,
      manifestFile: options.manifest,
      lfs: options.lfs,
      keyExtra: options.keyExtra,
      store,
      workDir: scratchDir(actionContext(), 'pizlix-stage', options.stage),
      timeoutMinutes: options.timeoutMinutes,
      lookupOnly: options.lookupOnly,
      compilerCache: { kind: options.compilerCache, maxBytes: options.compilerCacheSize! },
      pizlixTarball: options.pizlixTarball,
      reuseLfs: options.reuseLfs,
      protect: process.env.GITHUB_WORKSPACE ? [{ what: 'workspace', path: process.env.GITHUB_WORKSPACE }] : [],
    });
    core.setOutput('key', result.key);
    core.setOutput('output-digest', result.outputDigest ?? '');
    core.setOutput('cache-hit', String(result.cacheHit));
    core.setOutput('built', String(result.built));
    core.setOutput('snapshot', result.snapshot ?? '');
    core.setOutput('duration', result.seconds.toFixed(1));
    core.setOutput('log', result.logFile ?? '');
    core.setOutput('compiler-cache', result.compilerCache ? JSON.stringify(result.compilerCache) : '');
    core.summary
      .addHeading(`Pizlix stage ${stage}`, 3)
      .addTable([STAGE_TABLE_HEADER.map((h) => ({ data: h, header: true })), stageTableRow(result)])
      .addRaw(`Store: ${store.kind} · full key \`${result.key}\`${result.logFile ? ` · log kept at \`${result.logFile}\`` : ''}`, true);
    const output = outputSummaryLines(result);
    if (output.length > 0) core.summary.addRaw(output[0], true).addCodeBlock(output.slice(1).join('\n') || '(no paths)', 'text');
    if (result.compilerCache) core.summary.addRaw(`Compiler cache: ${describeCompilerCache(result.compilerCache)}`, true);
    // The store and the compiler cache have logged their notices as warnings already; the summary repeats them for the reader.
    const notices = [...(store.notices ?? []), ...(result.compilerCache?.warnings ?? [])];
    if (notices.length > 0) core.summary.addList(notices.map((n) => `⚠️ ${n}`));
    await core.summary.write().catch((err) => core.warning(`job summary not written: ${errorMessage(err)}`));
  } catch (err) {
    const logFile = err instanceof StageScriptError ? err.logFile : undefined;
    core.setOutput('log', logFile ?? '');
    core.setFailed(errorMessage(err));
    const tail = await logTail(logFile);
    core.summary.addHeading(`Pizlix stage ${stage} failed`, 3).addRaw(errorMessage(err), true);
    if (tail) core.summary.addRaw(`Last lines of the build log (\`${logFile}\`):`, true).addCodeBlock(tail, 'text');
    await core.summary.write().catch(() => undefined); // no summary file outside a runner
  }
}

void main();
