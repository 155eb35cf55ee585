// The five places of the frame, in the order UX.md fixes; Ctrl+1 … Ctrl+5 follow it.

export type PlaceId = 'queue' | 'lookup' | 'triage' | 'calls' | 'settings';

export type Place = {
  id: PlaceId;
  label: string;
  shortcuts: [string, string][];
};

export const places: Place[] = [
  {
    id: 'queue',
    label: '申請キュー',
    shortcuts: [
      ['↑ / ↓', '申請の移動'],
      ['Enter', '申請を開く'],
    ],
  },
  {
    id: 'lookup',
    label: '機関検索',
    shortcuts: [
      ['Ctrl+K', '検索欄へ移動'],
      ['Enter', 'コードを確認'],
      ['C', '確認したコードをコピー'],
    ],
  },
  { id: 'triage', label: 'トラブル対応', shortcuts: [['1〜9', '回答を選ぶ']] },
  { id: 'calls', label: '対応記録', shortcuts: [] },
  { id: 'settings', label: '設定', shortcuts: [] },
];

export const frameShortcuts: [string, string][] = [
  ['Ctrl+1〜5', '画面の切り替え'],
  ['Ctrl+K', '検索欄へ移動'],
  ['? / F1', 'ショートカット一覧'],
];
