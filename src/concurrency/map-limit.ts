/**
 * Maps over items with at most `limit` calls in flight, keeping the input order in the output.
 * When every item fits in the limit, the calls simply all start (no workers to allocate:
 * this runs for every domain of a batch).
 *
 * @example await mapLimit(['a', 'b', 'c'], 2, async (x) => x.toUpperCase()) // ['A', 'B', 'C']
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  if (items.length <= limit) return Promise.all(items.map(fn));
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}
