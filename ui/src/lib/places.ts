// The places of the frame: the five in the order shared/UX.md (the team's screen conventions)
// fixes, Ctrl+1 … Ctrl+5, and 要連絡 (outreach) after them as Ctrl+6, so the five keep their keys.

export type PlaceId = 'queue' | 'lookup' | 'triage' | 'calls' | 'settings' | 'outreach';

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
      ['↑ / ↓ または J / K', '申請の移動'],
      ['A', '承認（新規アカウント発行）'],
      ['E', '承認（既存アカウント）'],
      ['R', '差戻し（確認事項に合う理由で）'],
      ['X', '却下'],
      ['N', '次の確認事項のない申請へ'],
      ['Space', '一括承認に選ぶ／外す'],
      ['H', '履歴の表示／非表示'],
      ['P', '代理申請を入力'],
      ['Esc', '確認画面を閉じる'],
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
  {
    id: 'triage',
    label: 'トラブル対応',
    shortcuts: [
      ['1〜9', '回答を選ぶ'],
      ['Backspace', '一つ前に戻る'],
      ['Esc', '対応を終了（結果とメモ）'],
      ['Ctrl+K', 'よくある質問を検索'],
    ],
  },
  { id: 'calls', label: '対応記録', shortcuts: [['Ctrl+K', '対応記録を絞り込み']] },
  { id: 'settings', label: '設定', shortcuts: [] },
  {
    id: 'outreach',
    label: '要連絡',
    shortcuts: [
      ['Ctrl+K', '要連絡を絞り込み'],
      ['Space', '郵送文書に選ぶ／外す'],
    ],
  },
];

export const frameShortcuts: [string, string][] = [
  ['Ctrl+1〜6', '画面の切り替え'],
  ['Ctrl+K', '検索欄へ移動'],
  ['Ctrl+N', '対応を開始（電話を受けたとき、どの画面からでも）'],
  ['? / F1', 'ショートカット一覧'],
];
