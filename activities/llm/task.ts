// One language-model task, declared once: a prompt template and how an input fills it (→ messages), the zod schema
// of the structured output (→ response_format), an optional check of the stage's own (a validator), and how a
// failure is repaired (a local fixer, then re-asking with the problem). Running it goes through chat() — cache,
// limits, accounting in llm_calls — once per attempt. The style of distilabel's Task and Curator's prompt()/parse().
import type { z } from 'zod';
import { loadPrompt, type Prompt } from '../../core/prompts.ts';
import type { ResolvedEndpoint } from '../../schemas/config.ts';
import { chat, StructuredOutputError, type ChatMessage, type ChatRequest, type ChatResult } from './gateway.ts';
import { parseStructured } from './parse-json.ts';

/** `stage/name` of a template under prompts/ (loaded when the task runs, so an edited file is picked up), or a Prompt. */
export type Template = string | Prompt;

export type CheckResult<V> = { ok: true; value: V } | { ok: false; error: string };

export interface Repair {
  /** Re-asks after the first answer; 0 for none (a run may override it: TaskCall.repairs). */
  turns: number;
  /** The user message after the model's previous answer; its `{{error}}` is the problem found. */
  template?: Template;
  /** A local fix tried before any re-ask: the answer's text mended, or undefined when it cannot be. */
  fix?: (text: string, error: string) => string | undefined;
}

export interface LlmTask<I, O, V = O> {
  /** Names the task in errors, and the structured output (response_format's name) unless `schemaName` says otherwise. */
  name: string;
  template: Template;
  /** The template's variables for an input: the messages are one user message, the template rendered. */
  vars?: (input: I) => Record<string, string | number>;
  /** Or the whole conversation, for tasks that need more than one message (a system prompt, an appended hint). */
  messages?: (input: I, prompt: Prompt) => ChatMessage[];
  /** Structured output: asked for with response_format, parsed and validated by the gateway. Without it the value is the answer's text. */
  schema?: z.ZodType<O>;
  schemaName?: string;
  params?: ChatRequest<O>['params'];
  /** The stage's own check of a parsed value (a validator); its error is what a repair turn shows the model. */
  check?: (value: O, reply: ChatResult<O>) => CheckResult<V> | Promise<CheckResult<V>>;
  repair?: Repair;
}

/** Where and for whom a task runs: the gateway's request fields that are not the task's. */
export interface TaskCall {
  endpoint: ResolvedEndpoint;
  home: string;
  run: string;
  sampleId: string;
  images?: ChatRequest<unknown>['images'];
  /** The first attempt's callIndex; each repair turn counts on from it. */
  callIndex?: number;
  noCache?: boolean;
  /** Overrides of the task's params for this call (e.g. a candidate's temperature). */
  params?: ChatRequest<unknown>['params'];
  /** Overrides the task's repair turns (e.g. the run's maxRepairs). */
  repairs?: number;
}

export interface TaskOutcome<O, V> {
  value: V;
  /** The reply the value came from (for a fixed answer, the reply that was fixed). */
  reply: ChatResult<O>;
  /** Model calls made (1 + repair turns used). */
  attempts: number;
}

/**
 * No valid output after every repair: `error` is the last problem (fit for a record's reason), `text` the last
 * answer. A StructuredOutputError, so callers that tolerate unusable structured output tolerate this too.
 */
export class TaskOutputError extends StructuredOutputError {
  constructor(
    readonly task: string,
    readonly error: string,
    text: string,
    readonly attempts: number,
  ) {
    super(error, text);
    this.message =
      `llm task ${task}: no valid output after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${error}`.replace(
        /\s*\n\s*/g,
        ' ',
      );
  }
}

/** The template as a Prompt: `stage/name` loads prompts/<stage>/<name>.md (cached by core/prompts.ts). */
const promptOf = (t: Template): Prompt => {
  if (typeof t !== 'string') return t;
  const [stage, name, ...rest] = t.split('/');
  if (!stage || !name || rest.length) throw new Error(`llm task template ${t}: expected stage/name`);
  return loadPrompt(stage, name);
};

/** The task's messages for an input (the first turn, before any repair). */
export function taskMessages<I, O, V>(
  task: LlmTask<I, O, V>,
  input: I,
  prompt = promptOf(task.template),
): ChatMessage[] {
  if (task.messages) return task.messages(input, prompt);
  if (!task.vars) throw new Error(`llm task ${task.name}: declares neither vars nor messages`);
  return [{ role: 'user', content: prompt.render(task.vars(input)) }];
}

type Failed = { ok: false; error: string; text: string; parseError?: StructuredOutputError };
type Attempt<V> = { ok: true; value: V } | Failed;

async function checkValue<I, O, V>(task: LlmTask<I, O, V>, value: O, reply: ChatResult<O>): Promise<Attempt<V>> {
  if (!task.check) return { ok: true, value: value as unknown as V };
  const checked = await task.check(value, reply);
  return checked.ok ? checked : { ok: false, error: checked.error, text: reply.text };
}

/** A reply for an answer the gateway refused (it returns none with a StructuredOutputError). */
const refusedReply = <O>(failed: Failed): ChatResult<O> => ({
  text: failed.text,
  tokensIn: 0,
  tokensOut: 0,
  latencyMs: 0,
  cacheHit: false,
  callId: failed.parseError?.callId ?? '',
});

/** The fixer's mended text, parsed and checked like a reply; null when there is no fixer or it cannot mend this. */
async function tryFix<I, O, V>(
  task: LlmTask<I, O, V>,
  failed: Failed,
  reply: ChatResult<O>,
): Promise<Attempt<V> | null> {
  const mended = task.repair?.fix?.(failed.text, failed.error);
  if (mended === undefined) return null;
  let value: O;
  try {
    value = task.schema ? parseStructured(mended, task.schema) : (mended as unknown as O);
  } catch (err) {
    if (err instanceof StructuredOutputError) return null;
    throw err;
  }
  return checkValue(task, value, { ...reply, text: mended, parsed: value });
}

/**
 * Run a task: ask, parse (schema), check, and on a failure mend locally or re-ask with the problem, at most the
 * repair turns. A parse failure of a task that declares no repair is the gateway's StructuredOutputError,
 * unchanged; a check failure, or any failure of a task with a repair, is a TaskOutputError.
 */
async function runTask<I, O, V = O>(task: LlmTask<I, O, V>, input: I, call: TaskCall): Promise<TaskOutcome<O, V>> {
  const prompt = promptOf(task.template);
  const messages = taskMessages(task, input, prompt);
  const turns = Math.max(0, call.repairs ?? task.repair?.turns ?? 0);
  const repairPrompt = task.repair?.template !== undefined && turns > 0 ? promptOf(task.repair.template) : undefined;
  if (turns > 0 && !repairPrompt) throw new Error(`llm task ${task.name}: repair turns without a repair template`);
  let last: Failed | undefined;
  for (let i = 0; i <= turns; i++) {
    let reply: ChatResult<O> | undefined;
    let outcome: Attempt<V>;
    try {
      reply = await chat<O>({
        endpoint: call.endpoint,
        home: call.home,
        run: call.run,
        sampleId: call.sampleId,
        prompt,
        messages: [...messages],
        images: call.images,
        schema: task.schema,
        schemaName: task.schemaName ?? task.name,
        params: { ...task.params, ...call.params },
        noCache: call.noCache,
        callIndex: call.callIndex === undefined && i === 0 ? undefined : (call.callIndex ?? 0) + i,
      });
      outcome = await checkValue(task, (task.schema ? reply.parsed : reply.text) as O, reply);
    } catch (err) {
      if (!(err instanceof StructuredOutputError)) throw err;
      outcome = {
        ok: false,
        error: `output does not match the schema: ${err.message}`,
        text: err.text,
        parseError: err,
      };
    }
    if (outcome.ok) return { value: outcome.value, reply: reply!, attempts: i + 1 };
    const answered = reply ?? refusedReply<O>(outcome);
    const fixed = await tryFix(task, outcome, answered);
    if (fixed?.ok) return { value: fixed.value, reply: answered, attempts: i + 1 };
    last = outcome;
    if (i === turns || !repairPrompt) break;
    // Repair: show the model its previous answer and what is wrong with it.
    messages.push({ role: 'assistant', content: outcome.text || '(unparsable output)' });
    messages.push({ role: 'user', content: repairPrompt.render({ error: outcome.error }) });
  }
  if (!last) throw new Error(`llm task ${task.name}: no attempt made`);
  // A task that declares no repair sees a parse failure as the gateway's error, as a stage calling chat() would.
  if (!task.repair && last.parseError) throw last.parseError;
  throw new TaskOutputError(task.name, last.error, last.text, turns + 1);
}

/** Declare a task once; `run` is runTask bound to it. */
export function llmTask<I, O = string, V = O>(
  task: LlmTask<I, O, V>,
): LlmTask<I, O, V> & { run(input: I, call: TaskCall): Promise<TaskOutcome<O, V>> } {
  return { ...task, run: (input, call) => runTask(task, input, call) };
}
