/** One human→gpt exchange of a conversation; `answer` null when the human turn has no gpt reply. */
export interface TurnPair {
  turn: number;
  question: string;
  answer: string | null;
}

const IMAGE_TOKEN = /<image>\s*/g;

/** Strip `<image>` placeholders the way LLaVA-style data embeds them, keeping the text readable. */
export function cleanQuestion(value: string): string {
  return value.replace(IMAGE_TOKEN, '').trim();
}

/**
 * Pair each human turn with the gpt turn that follows it. A human turn without a reply still yields a pair
 * (answer null) so the sample is quarantined visibly rather than silently dropped.
 */
export function pairTurns(conversations: Array<{ from: string; value: string }>): TurnPair[] {
  const pairs: TurnPair[] = [];
  for (let i = 0; i < conversations.length; i++) {
    const t = conversations[i]!;
    if (!/^(human|user)$/i.test(t.from)) continue;
    const next = conversations[i + 1];
    const answered = next && /^(gpt|assistant)$/i.test(next.from);
    pairs.push({ turn: pairs.length, question: cleanQuestion(t.value), answer: answered ? next.value.trim() : null });
    if (answered) i++;
  }
  return pairs;
}
