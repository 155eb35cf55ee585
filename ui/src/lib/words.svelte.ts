// 用語: the Japanese words for the domain's keys, fetched once from the core (vocabulary),
// so the labels come from the same source as the rules.
import { api, type Outcome, type Vocabulary } from './api';

export const words = $state<{ loaded: Vocabulary | null }>({ loaded: null });

let asked = false;

/** Loads the words the first time a screen needs them. */
export function loadWords(): void {
  if (asked) return;
  asked = true;
  api.vocabulary().then(
    (v) => (words.loaded = v),
    () => (asked = false),
  );
}

/** 解決, 再申請案内 … for an outcome key. */
export function outcomeJa(outcome: Outcome | null | undefined): string {
  return words.loaded?.outcomes.find(([key]) => key === outcome)?.[1] ?? '';
}
