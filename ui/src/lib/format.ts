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

/** `1310270751` → `13 1 02 7075 1`, the parts of an insurance code. */
export const codeParts = (digits: string) =>
  digits.length === 10 ? `${digits.slice(0, 2)} ${digits[2]} ${digits.slice(3, 5)} ${digits.slice(5, 9)} ${digits[9]}` : digits;

export const postal = (digits: string) => (digits.length === 7 ? `〒${digits.slice(0, 3)}-${digits.slice(3)}` : digits);

export const eraDateOf = (iso: string) => {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : toEraDate(d);
};

const clock = new Intl.DateTimeFormat('ja-JP', { hour: '2-digit', minute: '2-digit', timeZone: 'Asia/Tokyo' });
/** `09:05` in JST, with the date when it is not today. */
export const timeOf = (iso: string) => {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return toWesternDate(d) === toWesternDate(new Date()) ? clock.format(d) : `${toEraDate(d)} ${clock.format(d)}`;
};

/** 3日 / 5時間 / 12分: how long an application has waited. */
export const waited = (minutes: number) =>
  minutes >= 1440 ? `${Math.floor(minutes / 1440)}日` : minutes >= 60 ? `${Math.floor(minutes / 60)}時間` : `${minutes}分`;
