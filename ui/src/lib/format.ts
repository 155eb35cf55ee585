// Formats the office uses: 令和 dates in JST, counts as 件 with thousands separators.

const eraDate = new Intl.DateTimeFormat('ja-JP-u-ca-japanese', {
  era: 'long',
  year: 'numeric',
  month: 'long',
  day: 'numeric',
  timeZone: 'Asia/Tokyo',
});
const westernDate = new Intl.DateTimeFormat('ja-JP', {
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  timeZone: 'Asia/Tokyo',
});

export const toEraDate = (d: Date) => eraDate.format(d);
export const toWesternDate = (d: Date) => westernDate.format(d);
export const count = (n: number) => `${n.toLocaleString('ja-JP')}件`;
