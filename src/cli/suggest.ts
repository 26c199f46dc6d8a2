/** "Did you mean ...?" for a mistyped word: edit distance (with transpositions) and prefixes. Pure. */

/** Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours cost 1. */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i < rows; i += 1) {
    for (let j = 1; j < cols; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The candidates a user probably meant, closest first: those within a distance that grows with the word's length
 * (1 for up to 4 letters, 2 up to 8, then 3), and those the word begins (`desc` -> `describe`).
 */
export function suggest(word: string, candidates: readonly string[], limit = 3): string[] {
  const typed = word.toLowerCase();
  if (typed === "") return [];
  const allowed = typed.length <= 4 ? 1 : typed.length <= 8 ? 2 : 3;
  const scored = candidates
    .map((candidate) => {
      const distance = editDistance(typed, candidate.toLowerCase());
      const prefix = typed.length >= 2 && candidate.toLowerCase().startsWith(typed);
      return { candidate, score: prefix ? Math.min(distance, 0.5) : distance };
    })
    .filter(({ score }) => score <= allowed)
    .sort((x, y) => x.score - y.score || x.candidate.localeCompare(y.candidate));
  return [...new Set(scored.map((s) => s.candidate))].slice(0, limit);
}
