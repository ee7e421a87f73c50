/** Which schema each action's inputs follow: action.yml files are written from these (scripts/action-inputs.ts) and held to them by a test. */
import { bootTestOptions } from './boot-test.js';
import { imageOptions } from './image.js';
import type { Option, Schema } from './option.js';
import { fetchOptions, publishOptions } from './release.js';
import { planOptions, stageOptions } from './stage.js';

/** Action folder ('.' is the repository's root action.yml) → its schema. */
export const ACTION_SCHEMAS: Record<string, Schema> = {
  '.': stageOptions,
  plan: planOptions,
  'disk-image': imageOptions,
  'boot-test': bootTestOptions,
  fetch: fetchOptions,
  'publish-release': publishOptions,
};

export interface ActionInput {
  description: string;
  required?: true;
  default?: string;
}

/** What action.yml must say about one option: its description, whether the runner must have it, its default. */
export function actionInputOf(option: Option<unknown>): ActionInput {
  const fallback = option.default ?? option.actionDefault;
  if (option.required && fallback === undefined) return { description: option.description, required: true };
  return { description: option.description, default: fallback ?? '' };
}

/** The inputs section an action.yml must have for its schema, in the schema's order. */
export function actionInputsOf(schema: Schema): Record<string, ActionInput> {
  return Object.fromEntries(
    Object.entries(schema)
      .filter(([, option]) => option.only !== 'cli')
      .map(([name, option]) => [name, actionInputOf(option)]),
  );
}
