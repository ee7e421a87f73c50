/**
 * A generated CMake + Ninja C++ project for the compiler-cache fixture: `units` tiny translation units in
 * groups that share a header, and a main.cpp that prints the sum of what they return, so the program's
 * output proves the build used every edit (a stale cached object would print the old sum).
 *
 *   project/CMakeLists.txt          the build; `opt` is a compile option of every unit
 *   project/include/group_<g>.h     one inline function per group, included by that group's units only
 *   project/units/unit_<n>.cpp      returns n * factor(n) + group value
 *   project/main.cpp                declares every unit's function and prints the sum (includes no group header),
 *                                   plus TOOLCHAIN_BONUS when the compiler defines it (see writeToolchain)
 */
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface ProjectModel {
  units: number;
  /** Units per group (the dependents of one header). */
  groupSize: number;
  /** Multiplier of unit n (default 3); an edit of one unit changes one entry. */
  factors: Record<number, number>;
  /** Value of group g's header (default g); an edit of one header changes one entry. */
  groupValues: Record<number, number>;
  /** A compile option of every unit, e.g. -O1. */
  opt: string;
  /**
   * Units that take a compiler a while, as LLVM's do (standard containers and streams instantiated; still
   * lighter than most LLVM units): the benchmark's second project. Default: units of a few lines.
   */
  heavyUnits?: boolean;
}

export function projectModel(units = 200, groupSize = 20): ProjectModel {
  return { units, groupSize, factors: {}, groupValues: {}, opt: '-O1' };
}

export function withUnitFactor(model: ProjectModel, unit: number, factor: number): ProjectModel {
  return { ...model, factors: { ...model.factors, [unit]: factor } };
}

export function withGroupValue(model: ProjectModel, group: number, value: number): ProjectModel {
  return { ...model, groupValues: { ...model.groupValues, [group]: value } };
}

/** What makes a heavy unit heavy: containers and a stream, whose result (0) leaves the program's output as it is. */
const heavyPart = (n: number) =>
  [
    '#include <map>',
    '#include <sstream>',
    '#include <string>',
    '#include <vector>',
    'static int weight() {',
    '  std::map<std::string, std::vector<int>> names;',
    '  std::ostringstream text;',
    `  text << "unit" << ${n};`,
    `  names[text.str()].push_back(${n});`,
    '  return int(names.size()) - 1;',
    '}',
    '',
  ].join('\n');

const pad = (n: number) => String(n).padStart(3, '0');
const groupOf = (model: ProjectModel, unit: number) => Math.floor(unit / model.groupSize);
const factorOf = (model: ProjectModel, unit: number) => model.factors[unit] ?? 3;
const groupValueOf = (model: ProjectModel, group: number) => model.groupValues[group] ?? group;

/** What the built program prints (`toolchainBonus`: what the compiler of writeToolchain defines). */
export function expectedOutput(model: ProjectModel, toolchainBonus = 0): string {
  let sum = toolchainBonus;
  for (let n = 0; n < model.units; n++) sum += n * factorOf(model, n) + groupValueOf(model, groupOf(model, n));
  return `sum ${sum}\n`;
}

/** Writes the whole project below `checkout`/project (every file, as a fresh checkout has them). */
export async function writeProject(checkout: string, model: ProjectModel): Promise<void> {
  const root = path.join(checkout, 'project');
  await mkdir(path.join(root, 'include'), { recursive: true });
  await mkdir(path.join(root, 'units'), { recursive: true });
  const units = Array.from({ length: model.units }, (_, n) => n);
  const groups = Math.ceil(model.units / model.groupSize);
  await writeFile(
    path.join(root, 'CMakeLists.txt'),
    [
      'cmake_minimum_required(VERSION 3.17)',
      'project(compiler_cache_fixture CXX)',
      `set(FIXTURE_OPT ${model.opt})`,
      `add_executable(app main.cpp ${units.map((n) => `units/unit_${pad(n)}.cpp`).join(' ')})`,
      'target_include_directories(app PRIVATE include)',
      'target_compile_options(app PRIVATE ${FIXTURE_OPT})',
      '',
    ].join('\n'),
  );
  for (let g = 0; g < groups; g++) {
    await writeFile(path.join(root, 'include', `group_${g}.h`), `#pragma once\ninline int group_${g}() { return ${groupValueOf(model, g)}; }\n`);
  }
  for (const n of units) {
    const g = groupOf(model, n);
    const body = `int unit_${pad(n)}() { return ${n} * ${factorOf(model, n)} + group_${g}()${model.heavyUnits ? ' + weight()' : ''}; }\n`;
    await writeFile(path.join(root, 'units', `unit_${pad(n)}.cpp`), `#include "group_${g}.h"\n${model.heavyUnits ? heavyPart(n) : ''}${body}`);
  }
  await writeFile(
    path.join(root, 'main.cpp'),
    [
      '#include <cstdio>',
      ...units.map((n) => `int unit_${pad(n)}();`),
      'int main() {',
      '  long sum = 0;',
      ...units.map((n) => `  sum += unit_${pad(n)}();`),
      '#ifdef TOOLCHAIN_BONUS',
      '  sum += TOOLCHAIN_BONUS;',
      '#endif',
      '  std::printf("sum %ld\\n", sum);',
      '  return 0;',
      '}',
      '',
    ].join('\n'),
  );
}

/**
 * A host compiler of its own: `<dir>/c++`, a g++ that defines TOOLCHAIN_BONUS=<bonus>. Rewriting it with
 * another bonus is a compiler changed at the same path (as an upgrade or a rebuild of clang would be): the
 * command lines stay the same, only the compiler's contents tell the builds apart.
 */
export async function writeToolchain(dir: string, bonus: number): Promise<void> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, 'c++');
  await writeFile(file, `#!/bin/sh\nexec /usr/bin/g++ -DTOOLCHAIN_BONUS=${bonus} "$@"\n`);
  await chmod(file, 0o755);
}
