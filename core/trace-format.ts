/**
 * Normalise model output to the dataset's trace format:
 *   <think>\n…\n</think>\n<answer>\n…\boxed{X}…\n</answer>
 * The reasoning comes from `reasoning_content` when the endpoint separates it, else from inline <think> tags.
 */
export function normalizeTrace(
  content: string,
  reasoning: string | undefined,
  finalAnswer: string | null,
): string | null {
  let think = (reasoning ?? '').trim();
  let body = content.trim();
  const inline = body.match(/<think>([\s\S]*?)<\/think>/i);
  if (inline) {
    if (!think) think = inline[1]!.trim();
    body = body.replace(inline[0], '').trim();
  }
  const tagged = body.match(/<answer>([\s\S]*?)<\/answer>/i);
  let answer = tagged ? tagged[1]!.trim() : '';
  if (!think && tagged) think = body.replace(tagged[0], '').trim();
  if (!tagged) {
    // No answer tags: the reasoning is everything but the concluding part, the answer is that conclusion.
    if (!think) {
      const paragraphs = body.split(/\n\s*\n/);
      answer = paragraphs.length > 1 ? paragraphs.pop()!.trim() : body;
      think = paragraphs.length > 0 && paragraphs.join('\n\n').trim() !== answer ? paragraphs.join('\n\n').trim() : '';
    } else {
      answer = body;
    }
  }
  if (!/\\(boxed|fbox)\{/.test(answer) && finalAnswer)
    answer = `${answer ? `${answer}\n` : ''}The final answer is \\boxed{${finalAnswer}}.`;
  if (!think || !answer) return null;
  return `<think>\n${think}\n</think>\n<answer>\n${answer}\n</answer>`;
}

/** Split a normalised trace back into its parts. */
export function splitTrace(trace: string): { think: string; answer: string } | null {
  const m = trace.match(/^\s*<think>([\s\S]*?)<\/think>\s*<answer>([\s\S]*?)<\/answer>\s*$/);
  return m ? { think: m[1]!.trim(), answer: m[2]!.trim() } : null;
}

/**
 * Talk about the text source instead of the image, or steps that "picture" the image: what role-play must not show
 * (the QA rules reject it; reasoning rewrites a trace that shows it).
 */
export const CAPTION_TALK =
  /\b(the|this|given|provided)\s+(caption|description|netlist|textual description|formal description|image description)\b|\bbased on the (caption|description|text provided)\b|\b(let me|i('ll| will)|we can) (picture|imagine|visuali[sz]e) (the|this) image\b/i;
