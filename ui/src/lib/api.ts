// The webview's only way to the core: Tauri commands, each granted by the capability that
// src-tauri/app/src/command_list.rs writes. The types come from the Rust ones (bindings.ts,
// generated and checked by src-tauri/app/tests/bindings.rs); nothing here restates them.
import { Channel, invoke as tauriInvoke, type InvokeArgs } from '@tauri-apps/api/core';
import type {
  Action,
  ApplicationForm,
  BulkOutcome,
  CallInstitution,
  CallRecord,
  CallsOverview,
  Command,
  ContactChannel,
  ContactOutcome,
  ContactRecord,
  Coverage,
  CoverageEntry,
  CoverageFilter,
  Filled,
  LetterReport,
  MailedReport,
  ReminderKind,
  ReportImport,
  Worklist,
  WorklistFilter,
  CsvEncoding,
  DeskSettings,
  DiagnosisStep,
  MailHealth,
  Disclosed,
  ExportReport,
  FaqHit,
  History,
  HomeArea,
  IdentityChecks,
  ImportProgress,
  ImportReport,
  InstitutionDetail,
  MailFacts,
  NoticePreview,
  Outcome,
  PrefectureDraft,
  PrefectureSettings,
  PrefectureView,
  ProxyOutcome,
  PageRequest,
  QueueFilter,
  QueuePage,
  QueuePosition,
  QueueRow,
  RegistryStatus,
  ReportingView,
  RetentionView,
  SavedView,
  SearchResult,
  SyncOverview,
  SyncReport,
  Tree,
  UiError,
  Vocabulary,
} from './bindings';

export type * from './bindings';
/** The names the screens use for some generated types. */
export type { ApplicationStatus as Status, InstitutionKind as Kind, Node as TriageNode } from './bindings';

/** Only the listed commands can be named: a typo or a removed command fails the type check. */
const invoke = <T>(command: Command, args?: InvokeArgs) => tauriInvoke<T>(command, args);

/** Turns whatever a rejected command gave into a UiError the screen can show. */
export function asUiError(e: unknown): UiError {
  if (e && typeof e === 'object' && 'code' in e && 'message' in e) {
    return e as UiError;
  }
  return { code: 'E-UI-UNEXPECTED', message: '予期しないエラーが発生しました。もう一度お試しください。' };
}

export const api = {
  listPrefectures: () => invoke<PrefectureView[]>('list_prefectures'),
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
  mailHealth: () => invoke<MailHealth>('mail_health'),
  saveServerToken: (token: string) => invoke<void>('save_server_token', { token }),
  vocabulary: () => invoke<Vocabulary>('vocabulary'),
  queuePage: (filter: QueueFilter, request: PageRequest) => invoke<QueuePage>('queue_page', { filter, request }),
  queueNextClear: (filter: QueueFilter, after: number | null) =>
    invoke<QueuePosition | null>('queue_next_clear', { filter, after }),
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
  triageTree: (call: string | null = null) => invoke<Tree>('triage_tree', { call }),
  reportingAnswer: (call: string | null = null) => invoke<ReportingView>('reporting_answer', { call }),
  faqSearch: (query: string) => invoke<FaqHit[]>('faq_search', { query }),
  prefectureSettings: () => invoke<PrefectureSettings | null>('prefecture_settings'),
  homeArea: () => invoke<HomeArea | null>('home_area'),
  savePrefectureSettings: (draft: PrefectureDraft) => invoke<PrefectureSettings>('save_prefecture_settings', { draft }),
  retention: () => invoke<RetentionView>('retention'),
  startCall: () => invoke<CallRecord>('start_call'),
  chooseAnswer: (call: string, choice: number) => invoke<CallRecord>('choose_answer', { call, choice }),
  goBack: (call: string) => invoke<CallRecord>('go_back', { call }),
  pauseCall: (call: string, paused: boolean) => invoke<CallRecord>('pause_call', { call, paused }),
  callMailFacts: (call: string) => invoke<MailFacts | null>('call_mail_facts', { call }),
  linkCall: (call: string, links: { institution: CallInstitution | null; application_id: number | null }) =>
    invoke<CallRecord>('link_call', { call, links }),
  finishCall: (call: string, note: string, outcome: Outcome | null) => invoke<CallRecord>('finish_call', { call, note, outcome }),
  discloseLoginId: (call: string, checks: IdentityChecks) =>
    invoke<Disclosed>('disclose_login_id', { call, checks }),
  callsOverview: () => invoke<CallsOverview>('calls_overview'),
  exportCalls: (encoding: CsvEncoding) => invoke<ExportReport | null>('export_calls', { encoding }),
  getSettings: () => invoke<DeskSettings>('get_settings'),
  saveSettings: (settings: DeskSettings) => invoke<void>('save_settings', { settings }),
  coverage: () => invoke<Coverage>('coverage'),
  coverageList: (filter: CoverageFilter) => invoke<CoverageEntry[]>('coverage_list', { filter }),
  exportCoverageList: (filter: CoverageFilter, encoding: CsvEncoding) =>
    invoke<ExportReport | null>('export_coverage_list', { filter, encoding }),
  pickReportFile: () => invoke<string | null>('pick_report_file'),
  importReports: (path: string) => invoke<ReportImport>('import_reports', { path }),
  worklist: (filter: WorklistFilter) => invoke<Worklist>('worklist', { filter }),
  takeContact: (id: string) => invoke<ContactRecord>('take_contact', { id }),
  releaseContact: (id: string) => invoke<ContactRecord>('release_contact', { id }),
  recordContact: (id: string, channel: ContactChannel, outcome: ContactOutcome, note: string, callId: string | null) =>
    invoke<ContactRecord>('record_contact', { id, channel, outcome, note, callId }),
  startContactCall: (id: string) => invoke<CallRecord>('start_contact_call', { id }),
  reminderPreview: (id: string, kind: ReminderKind) => invoke<Filled>('reminder_preview', { id, kind }),
  makeLetters: (ids: string[], kind: ReminderKind) => invoke<LetterReport | null>('make_letters', { ids, kind }),
  makeMailMerge: (ids: string[]) => invoke<LetterReport | null>('make_mail_merge', { ids }),
  sendReminders: (ids: string[], kind: ReminderKind) => invoke<MailedReport>('send_reminders', { ids, kind }),
};
