/**
 * react-query's `initialData` from an answer of the first screen that
 * arrived before the app rendered (api/early.ts): the query starts with it,
 * so the first render shows the page and no loading state comes between
 * (issue 16's cold load). `take` hands an answer out once; react-query asks
 * for the data, then for its time, while it builds the query, and again on
 * a render before any data, so an answer arriving in between is still used.
 */
export function initialFromArrived<T>(take: () => { data: T; at: number } | undefined): { initialData: () => T | undefined; initialDataUpdatedAt: () => number | undefined } {
  let got: { data: T; at: number } | undefined;
  return {
    initialData: () => (got = take())?.data,
    initialDataUpdatedAt: () => got?.at,
  };
}
