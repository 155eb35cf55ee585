// The webview's only way to the core: Tauri commands, each granted in capabilities/main.json.
import { Channel, invoke } from '@tauri-apps/api/core';

/** Every failure arrives with a stable code (quoted to support) and a Japanese sentence. */
export type UiError = { code: string; message: string };

export type Prefecture = { code: string; name: string };

export type CodeView = {
  digits: string;
  parts: string;
  prefecture_code: string;
  prefecture_name: string;
  table_name: string;
};

export type CodeCheck =
  | { status: 'valid'; code: CodeView }
  | { status: 'invalid'; error: UiError; suggestions: { code: CodeView; edit: string }[] };

export type DeskSettings = {
  prefecture: string | null;
  server_url: string | null;
  ca_cert_path: string | null;
  proxy_url: string | null;
  desk_name: string | null;
};

export type SyncOverview = {
  configured: boolean;
  online: boolean;
  last_sync_at: string | null;
  last_error: string | null;
  pending: number;
  rejected: number;
};

export type SyncReport = { sent: number; rejected: number; pulled: number };
export type DiagnosisStep = { step: string; ok: boolean; detail: string };

export type Institution = {
  id: number;
  source: string;
  source_key: string;
  insurance_code: string | null;
  kind: string | null;
  name: string;
  kana: string | null;
  prefecture: string;
  postal_code: string | null;
  address: string;
  phone: string | null;
  closed: boolean;
};

export type Hit = {
  institution: Institution;
  kind_ja: string | null;
  reason: { kind: string; edit?: string };
  reason_ja: string;
};

export type SearchResult = { hits: Hit[]; indexed: number; code_check: CodeCheck | null };

export type InstitutionDetail = Institution & {
  municipality_code: string | null;
  listed_in: string;
  listed_at: string;
  closed_in: string | null;
};

export type RegistryStatus = {
  ready: boolean;
  institutions: number;
  last_import: { file_name: string; imported_at: string } | null;
};

export type ImportProgress = { bytes_read: number; total_bytes: number | null; rows: number };

export type ImportReport = {
  file_name: string;
  encoding: string;
  rows_read: number;
  imported: number;
  duplicates: number;
  skipped_count: number;
  skipped: { line: number; message: string }[];
  prefectures: string[];
  opened: number;
  closed: number;
  renamed: number;
  moved: number;
  changes: { key: string; name: string; kind: 'opened' | 'closed' | 'renamed' | 'moved'; from?: string }[];
};

/** Turns whatever a rejected command gave into a UiError the screen can show. */
export function asUiError(e: unknown): UiError {
  if (e && typeof e === 'object' && 'code' in e && 'message' in e) {
    return e as UiError;
  }
  return { code: 'E-UI-UNEXPECTED', message: '予期しないエラーが発生しました。もう一度お試しください。' };
}

export const api = {
  listPrefectures: () => invoke<Prefecture[]>('list_prefectures'),
  search: (query: string, limit = 50) => invoke<SearchResult>('search_institutions', { query, limit }),
  institution: (id: number) => invoke<InstitutionDetail>('institution_detail', { id }),
  registryStatus: () => invoke<RegistryStatus>('registry_status'),
  pickRegistryFile: () => invoke<string | null>('pick_registry_file'),
  importRegistry: (path: string, onProgress: (p: ImportProgress) => void) => {
    const channel = new Channel<ImportProgress>();
    channel.onmessage = onProgress;
    return invoke<ImportReport>('import_registry', { path, onProgress: channel });
  },
  cancelImport: () => invoke<void>('cancel_import'),
  syncStatus: () => invoke<SyncOverview>('sync_status'),
  syncNow: () => invoke<SyncReport>('sync_now'),
  resync: () => invoke<SyncReport>('resync_from_scratch'),
  diagnose: () => invoke<DiagnosisStep[]>('diagnose_sync'),
  saveServerToken: (token: string) => invoke<void>('save_server_token', { token }),
  getSettings: () => invoke<DeskSettings>('get_settings'),
  saveSettings: (settings: DeskSettings) => invoke<void>('save_settings', { settings }),
};
