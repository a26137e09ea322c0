/** One human→assistant exchange of a conversation, as written; `answer` null when the human turn has no reply. */
export interface TurnPair {
  turn: number;
  /** The human turn as written (`<image>`, hints, options and instructions included). */
  question: string;
  /** The gpt / assistant turn as written (trimmed). */
  answer: string | null;
}

/**
 * Pair each human turn with the reply that follows it. Roles are `human`/`user` then `gpt` (LLaVA-OneVision) or
 * `assistant` (the released R1-Onevision data). A human turn without a reply still yields a pair (answer null) so
 * the sample is quarantined visibly rather than silently dropped.
 */
export function pairTurns(conversations: Array<{ from: string; value: string }>): TurnPair[] {
  const pairs: TurnPair[] = [];
  for (let i = 0; i < conversations.length; i++) {
    const t = conversations[i]!;
    if (!/^(human|user)$/i.test(t.from)) continue;
    const next = conversations[i + 1];
    const answered = next && /^(gpt|assistant)$/i.test(next.from);
    pairs.push({ turn: pairs.length, question: t.value, answer: answered ? next.value.trim() : null });
    if (answered) i++;
  }
  return pairs;
}
