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

export type Status = 'submitted' | 'in_review' | 'approved_new_account' | 'approved_existing_account' | 'returned_for_correction' | 'rejected';
export type Kind = 'hospital' | 'clinic' | 'dental_clinic' | 'maternity_home' | 'pharmacy';
export type Action =
  | { action: 'start_review' }
  | { action: 'approve_new_account' }
  | { action: 'approve_existing_account' }
  | { action: 'return_for_correction'; reason: string }
  | { action: 'reject'; reason: string };

export type ApplicationForm = {
  kind: Kind;
  institution_code: string;
  insurance_code: string | null;
  name: string;
  kana: string;
  postal_code: string;
  address: string;
  phone: string;
  department: string;
  department_number: string;
  contact_name: string;
  email: string;
};

export type Application = {
  id: number;
  prefecture: string;
  status: Status;
  version: number;
  form: ApplicationForm;
  submitted_by: 'institution' | 'prefecture';
  received_at: string;
  login_id: string | null;
  note: string | null;
};

export type Flag = { code: string; message: string; fix: string | null; return_reason: string | null };
export type QueueRow = { application: Application; status: Status; pending_sync: boolean; flags: Flag[]; age_minutes: number };
export type QueueFilter = {
  statuses: Status[];
  kinds: Kind[];
  submitted_by: 'institution' | 'prefecture' | null;
  flagged: boolean | null;
  min_age_days: number | null;
  text: string | null;
  sort: 'oldest' | 'newest' | 'name';
};
export type AgeBucket = { label: string; min_days: number; counts: Record<string, number> };
export type QueueItem = {
  id: number;
  name: string;
  kind: Kind;
  status: Status;
  pending_sync: boolean;
  flags: number;
  age_minutes: number;
  submitted_by: 'institution' | 'prefecture';
};
export type QueueList = { items: QueueItem[]; counts: Record<string, number>; total: number; ages: AgeBucket[] };
export type SavedView = { name: string; filter: QueueFilter };
export type CsvEncoding = 'utf8_bom' | 'shift_jis';
export type ExportReport = { path: string; rows: number; replaced: number };
export type FieldError = { field: string; code: string; message: string };
export type ProxyOutcome = { receipt: { id: number; prefecture: string; received_at: string } | null; fields: FieldError[] };
export type AuditEntry = {
  at: string;
  officer: string | null;
  desk: string;
  from_status: string | null;
  to_status: string;
  reason: string | null;
  note: string | null;
};
export type History = {
  audit: AuditEntry[];
  unavailable: string | null;
  unsent: { id: number; action: Action; note: string | null; created_at: string }[];
};
export type Vocabulary = {
  statuses: [Status, string][];
  kinds: [Kind, string][];
  return_reasons: [string, string][];
  reject_reasons: [string, string][];
};
export type NoticePreview = { to: string; subject: string; body: string };
export type BulkOutcome = { queued: number[]; refused: { id: number; reasons: string[] }[] };
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

export type Outcome = 'resolved' | 'reapply' | 'prefecture_contacts' | 'escalate';
export type TriageLink = 'queue' | 'lookup' | 'reporting_window' | 'login_disclosure';
export type TriageNode = {
  kind: 'ask' | 'instruct' | 'end';
  title: string;
  say: string;
  note: string | null;
  choices: { label: string; next: string }[];
  next: string | null;
  outcome: Outcome | null;
  links: TriageLink[];
  seed: string[];
  national_say: string | null;
};
export type Tree = { version: string; start: string; nodes: Record<string, TriageNode>; prefecture: string | null };
export type CallInstitution = { name: string; insurance_code: string | null };
export type CallStep = { node: string; title: string; answer: string | null; entered_at: string; seconds: number };
export type CallRecord = {
  id: string;
  prefecture: string;
  desk: string;
  tree_version: string;
  started_at: string;
  ended_at: string | null;
  state: 'active' | 'paused' | 'finished';
  institution: CallInstitution | null;
  application_id: number | null;
  steps: CallStep[];
  ending: string | null;
  outcome: Outcome | null;
  note: string;
  disclosures: { at: string; desk: string; account_institution_code: string }[];
  updated_at: string;
};
export type CallStats = {
  calls: number;
  per_day: [string, number][];
  per_outcome: [string, string, number][];
  branches: [string, string, number][];
  node_time: [string, number, number][];
};
export type ReportingWindow = { starts: string; ends: string };
export type ReportingView = { answer: { state: string }; message: string; suggested_choice: number | null };
export type PrefectureSettings = {
  prefecture: string;
  reporting_window: ReportingWindow | null;
  triage_overrides: { say: Record<string, string> };
  updated_at: string;
  updated_by: string;
};
export type FaqHit = { node: string; title: string; excerpt: string };
export type IdentityChecks = { phone: boolean; email: boolean; contact_name: boolean };

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
  vocabulary: () => invoke<Vocabulary>('vocabulary'),
  queue: (filter: QueueFilter) => invoke<QueueList>('queue_view', { filter }),
  queueEntry: (id: number) => invoke<QueueRow>('queue_entry', { id }),
  previewNotice: (id: number, action: Action, note: string | null) =>
    invoke<NoticePreview | null>('preview_notice', { id, action, note }),
  decide: (id: number, action: Action, note: string | null) => invoke<void>('decide', { id, action, note }),
  bulkApprove: (ids: number[]) => invoke<BulkOutcome>('bulk_approve', { ids }),
  savedViews: () => invoke<SavedView[]>('saved_views'),
  saveView: (view: SavedView) => invoke<void>('save_view', { view }),
  deleteView: (name: string) => invoke<void>('delete_view', { name }),
  exportQueue: (filter: QueueFilter, encoding: CsvEncoding) => invoke<ExportReport | null>('export_queue', { filter, encoding }),
  exportDecisions: (encoding: CsvEncoding) => invoke<ExportReport | null>('export_decisions', { encoding }),
  proxyApply: (form: ApplicationForm) => invoke<ProxyOutcome>('proxy_apply', { form }),
  history: (id: number) => invoke<History>('application_history', { id }),
  triageTree: () => invoke<Tree>('triage_tree'),
  reportingAnswer: () => invoke<ReportingView>('reporting_answer'),
  faqSearch: (query: string) => invoke<FaqHit[]>('faq_search', { query }),
  prefectureSettings: () => invoke<PrefectureSettings | null>('prefecture_settings'),
  savePrefectureSettings: (window: ReportingWindow | null, overrides: { say: Record<string, string> }) =>
    invoke<PrefectureSettings>('save_prefecture_settings', { window, overrides }),
  startCall: () => invoke<CallRecord>('start_call'),
  chooseAnswer: (call: string, choice: number) => invoke<CallRecord>('choose_answer', { call, choice }),
  goBack: (call: string) => invoke<CallRecord>('go_back', { call }),
  pauseCall: (call: string, paused: boolean) => invoke<CallRecord>('pause_call', { call, paused }),
  linkCall: (call: string, links: { institution: CallInstitution | null; application_id: number | null }) =>
    invoke<CallRecord>('link_call', { call, links }),
  finishCall: (call: string, note: string, outcome: Outcome | null) => invoke<CallRecord>('finish_call', { call, note, outcome }),
  discloseLoginId: (call: string, checks: IdentityChecks) =>
    invoke<{ login_id: string; call: CallRecord }>('disclose_login_id', { call, checks }),
  callsOverview: () => invoke<{ calls: CallRecord[]; stats: CallStats }>('calls_overview'),
  exportCalls: (encoding: CsvEncoding) => invoke<ExportReport | null>('export_calls', { encoding }),
  getSettings: () => invoke<DeskSettings>('get_settings'),
  saveSettings: (settings: DeskSettings) => invoke<void>('save_settings', { settings }),
};
