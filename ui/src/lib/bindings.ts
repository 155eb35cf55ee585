// Generated from the Rust types by src-tauri/app/tests/bindings.rs: do not edit.
// `cargo test -p madoguchi-app --test bindings` rewrites it after a Rust change.

/** Every command the window may call. */
export type Command = 'list_prefectures' | 'get_settings' | 'save_settings' | 'search_institutions' | 'institution_detail' | 'registry_status' | 'pick_registry_file' | 'import_registry' | 'cancel_import' | 'sync_status' | 'sync_now' | 'resync_from_scratch' | 'diagnose_sync' | 'mail_health' | 'save_server_token' | 'queue_page' | 'queue_next_clear' | 'queue_entry' | 'vocabulary' | 'preview_notice' | 'decide' | 'bulk_approve' | 'export_queue' | 'export_decisions' | 'saved_views' | 'save_view' | 'delete_view' | 'proxy_apply' | 'application_history' | 'triage_tree' | 'reporting_answer' | 'faq_search' | 'prefecture_settings' | 'save_prefecture_settings' | 'home_area' | 'retention' | 'start_call' | 'choose_answer' | 'go_back' | 'pause_call' | 'link_call' | 'call_mail_facts' | 'finish_call' | 'disclose_login_id' | 'calls_overview' | 'export_calls' | 'coverage' | 'coverage_list' | 'export_coverage_list' | 'pick_report_file' | 'import_reports' | 'worklist' | 'take_contact' | 'release_contact' | 'record_contact' | 'start_contact_call' | 'reminder_preview' | 'make_letters' | 'send_reminders' | 'make_mail_merge';

export type Action = { "action": "start_review" } | { "action": "approve_new_account" } | { "action": "approve_existing_account" } | { "action": "return_for_correction", reason: ReturnReason, } | { "action": "reject", reason: RejectReason, } | { "action": "resubmit" };

export type AgeBucket = { label: string, 
/**
 * The filter's `min_age_days` that starts this bucket.
 */
min_days: number, counts: { [key in string]: number }, };

export type Application = { id: number, prefecture: Prefecture, status: ApplicationStatus, 
/**
 * Raised by every change; a decision must name the version the officer saw.
 */
version: number, form: ApplicationForm, submitted_by: SubmittedBy, 
/**
 * RFC 3339, UTC.
 */
received_at: string, updated_at: string, 
/**
 * The G-MIS login ID once an account is issued or found.
 */
login_id: string | null, return_reason: ReturnReason | null, reject_reason: RejectReason | null, note: string | null, 
/**
 * The applicant opened the 疎通確認 link: the address reaches them. False for
 * applications an officer entered (代理申請) and for those from before the check.
 */
address_verified: boolean, 
/**
 * 再申請: the returned application this one corrects.
 */
resubmission_of: number | null, 
/**
 * The corrected application that replaced this returned one.
 */
resubmitted_as: number | null, 
/**
 * What the applicant did on the status page (申請状況の確認).
 */
status_page: StatusPageUse, };

export type ApplicationForm = { 
/**
 * 機関区分
 */
kind: InstitutionKind, 
/**
 * 機関コード (assigned by the prefecture for G-MIS)
 */
institution_code: string, 
/**
 * 保険医療機関コード / 保険薬局コード; a 助産所 has none.
 */
insurance_code: string | null, 
/**
 * 名称
 */
name: string, 
/**
 * フリガナ
 */
kana: string, 
/**
 * 郵便番号
 */
postal_code: string, 
/**
 * 住所, from the prefecture on
 */
address: string, 
/**
 * 建物名 (none for many clinics and pharmacies)
 */
building: string, 
/**
 * 電話番号
 */
phone: string, 
/**
 * 担当部署名
 */
department: string, 
/**
 * 担当部署番号
 */
department_number: string, 
/**
 * 担当者名
 */
contact_name: string, 
/**
 * メールアドレス: one plain address
 */
email: string, };

export type ApplicationStatus = "submitted" | "in_review" | "approved_new_account" | "approved_existing_account" | "returned_for_correction" | "rejected" | "resubmitted";

export type AuditEntry = { 
/**
 * Which application of a chain of 再申請 the entry is about.
 */
application_id: number, at: string, 
/**
 * The officer's name; none for intake.
 */
officer: string | null, desk: string, from_status: string | null, to_status: string, reason: string | null, note: string | null, };

export type BounceCategory = "mailbox_full" | "no_such_user" | "rejected" | "other";

export type Breakdown = "kind" | "municipality" | "health_centre";

export type BulkOutcome = { queued: Array<number>, refused: Array<BulkRefusal>, };

export type BulkRefusal = { id: number, reasons: Array<string>, };

export type CallInstitution = { name: string, insurance_code: string | null, };

export type CallLinks = { institution: CallInstitution | null, application_id: number | null, };

export type CallRecord = { 
/**
 * Made by the desk (UUID), so a call is the same record wherever it is sent from.
 */
id: string, prefecture: Prefecture, desk: string, 
/**
 * The tree version the call started on.
 */
tree_version: string, started_at: string, ended_at: string | null, state: CallState, institution: CallInstitution | null, application_id: number | null, steps: Array<CallStep>, 
/**
 * The ending's node and outcome, once finished there.
 */
ending: string | null, outcome: Outcome | null, note: string, disclosures: Array<Disclosure>, 
/**
 * The 要連絡 entry an outbound call was made for ([`crate::worklist::ContactRecord::id`]).
 */
contact: string | null, 
/**
 * When it last changed, for people; the server orders changes by `version`.
 */
updated_at: string, 
/**
 * The server's version: what the server holds, or, sent by a desk, the version its
 * change was made on (0: never stored). A change made on an older one is refused.
 */
version: number, };

export type CallState = "active" | "paused" | "finished";

export type CallStats = { calls: number, 
/**
 * (date in JST, calls)
 */
per_day: Array<[string, number]>, 
/**
 * (outcome, its Japanese name, calls); unfinished walks under "未完了".
 */
per_outcome: Array<[string, string, number]>, 
/**
 * The most-taken answers: (node title, answer, times), most first.
 */
branches: Array<[string, string, number]>, 
/**
 * Time per node: (node title, visits, average seconds), longest first.
 */
node_time: Array<[string, number, number]>, };

export type CallStep = { node: string, title: string, 
/**
 * The answer chosen here (none for the node the call ended or paused on).
 */
answer: string | null, entered_at: string, 
/**
 * Time spent at the node, pauses excluded.
 */
seconds: number, };

export type CallsOverview = { calls: Array<CallRecord>, stats: CallStats, };

export type Change = { key: string, name: string, } & ({ "kind": "opened" } | { "kind": "closed" } | { "kind": "renamed", from: string, } | { "kind": "moved", from: string, });

export type ChangeKind = { "kind": "opened" } | { "kind": "closed" } | { "kind": "renamed", from: string, } | { "kind": "moved", from: string, };

export type Choice = { label: string, next: string, 
/**
 * Offered only where the prefecture's practice holds this ([`Tree::for_prefecture`]).
 */
when?: When, };

export type CodeCheck = { "status": "valid", code: CodeView, } | { "status": "invalid", error: UiError, suggestions: Array<SuggestionView>, };

export type CodeView = { 
/**
 * The plain ten digits.
 */
digits: string, 
/**
 * `13 1 02 7075 1`
 */
parts: string, prefecture_code: string, prefecture_name: string, 
/**
 * 医科・歯科・調剤
 */
table_name: string, };

export type ContactAttempt = { at: string, desk: string, channel: ContactChannel, outcome: ContactOutcome, 
/**
 * What was said or agreed, for the next officer (no personal data beyond the work).
 */
note: string, 
/**
 * The 対応記録 of the call, when the contact was a call logged on a desk.
 */
call_id: string | null, };

export type ContactChannel = "phone" | "mail" | "post";

export type ContactOutcome = "reached" | "promised" | "sent" | "no_answer" | "unreachable";

export type ContactRecord = { 
/**
 * The entry's key ([`Reason::entry_id`]): the same on every desk.
 */
id: string, prefecture: Prefecture, institution_name: string, insurance_code: string | null, 
/**
 * 対応中: the desk that took the entry to contact it, and since when.
 */
taken_by: string | null, taken_at: string | null, attempts: Array<ContactAttempt>, updated_at: string, 
/**
 * As [`crate::api::CallRecord::version`].
 */
version: number, };

export type Coverage = { total: StandingCounts, 
/**
 * By 機関区分 (as the registry tells it: a 厚生局 医科 list does not tell 病院 from 診療所).
 */
by_kind: Array<CoverageRow>, 
/**
 * By municipality (its name as the registry's addresses begin).
 */
by_municipality: Array<CoverageRow>, 
/**
 * By 保健所 area, as the prefecture's practice sets them (the rest under 「管轄未設定」).
 */
by_health_centre: Array<CoverageRow>, 
/**
 * Whether a 報告状況 is imported for the current period of any scheme: until then
 * `reported` counts nothing and the window says so.
 */
reports_known: boolean, 
/**
 * Up to the last 26 weeks, oldest first.
 */
trend: Array<CoverageWeek>, };

export type CoverageEntry = { registry_id: number, name: string, insurance_code: string | null, class_label: string, 
/**
 * The scheme it reports under.
 */
scheme: Scheme, municipality: string, postal_code: string | null, address: string, phone: string | null, standing: Standing, reported: boolean, };

export type CoverageFilter = { 
/**
 * A row of a breakdown, by its key; none is the whole prefecture.
 */
row: [Breakdown, string] | null, standing: Standing | null, 
/**
 * 報告済 (true) or 未報告 (false) for the current period.
 */
reported: boolean | null, };

export type CoverageRow = { key: string, label: string, counts: StandingCounts, };

export type CoverageWeek = { 
/**
 * ISO week, 2027-W03.
 */
week: string, counts: StandingCounts, };

export type CsvEncoding = "utf8_bom" | "shift_jis";

export type DeliveryState = "queued" | "sent" | "failed" | "deferred" | "bounced" | "delivered";

export type DeliveryStep = { at: string, state: DeliveryState, text: string, };

export type DeskSettings = { 
/**
 * The prefecture this desk serves; it completes 7-digit codes and ranks the lookup.
 */
prefecture: Prefecture | null, 
/**
 * The central server, `https://…`.
 */
server_url: string | null, 
/**
 * A PEM file with the root CA the prefecture's network uses, if not a public one.
 */
ca_cert_path: string | null, 
/**
 * An HTTP proxy, `http://proxy.example:8080`.
 */
proxy_url: string | null, 
/**
 * This PC's name in the audit trail (e.g. 医療政策課-3).
 */
desk_name: string | null, 
/**
 * The 保健所 this desk belongs to, by its name in the prefecture's practice: the queue
 * opens on the municipalities it covers.
 */
health_centre: string | null, };

export type DiagnosisStep = { step: string, ok: boolean, detail: string, };

export type Disclosed = { login_id: string, call: CallRecord, };

export type Disclosure = { at: string, desk: string, account_institution_code: string, checked_phone: boolean, checked_email: boolean, checked_contact_name: boolean, };

export type DomainTally = { domain: string, relay_refused: number, bounced: number, };

export type EntryState = "open" | "taken" | "done";

export type ErrorCode = 'E-CODE-EMPTY' | 'E-CODE-CHAR' | 'E-CODE-LENGTH' | 'E-CODE-PREF-REQUIRED' | 'E-CODE-PREF' | 'E-CODE-TABLE' | 'E-CODE-CHECK' | 'E-POSTAL-FORMAT' | 'E-MUNI-FORMAT' | 'E-MUNI-PREF' | 'E-MUNI-CHECK' | 'E-PREF-UNKNOWN' | 'E-FORM' | 'E-FORM-REQUIRED' | 'E-FORM-TOO-LONG' | 'E-FORM-CONTROL' | 'E-FORM-INSTITUTION-CODE' | 'E-FORM-KANA' | 'E-FORM-PHONE' | 'E-FORM-EMAIL' | 'E-FORM-ADDRESS-PREF' | 'E-FORM-CODE-PREF' | 'E-APP-TRANSITION' | 'E-APP-NOT-FOUND' | 'E-APP-ACCOUNT-EXISTS' | 'E-APP-ADDRESS-BUSY' | 'E-APP-PENDING' | 'E-APP-RESUBMIT-LINK' | 'E-FORM-RESUBMIT-PREFECTURE' | 'E-APP-NO-ACCOUNT' | 'E-TRIAGE-PARSE' | 'E-TRIAGE-INVALID' | 'E-REPORTING-WINDOW' | 'E-CALL-NOT-FOUND' | 'E-CALL-FINISHED' | 'E-CALL-PAUSED' | 'E-CALL-CHOICE' | 'E-CALL-PREFECTURE' | 'E-DISCLOSE-CHECKS' | 'E-DISCLOSE-INSTITUTION' | 'E-DISCLOSE-NO-ACCOUNT' | 'E-STORE-OPEN' | 'E-STORE-MIGRATE' | 'E-STORE-QUERY' | 'E-STORE-KEY' | 'E-STORE-CORRUPT' | 'E-IMPORT-READ' | 'E-IMPORT-FORMAT' | 'E-IMPORT-NAVII-KIND' | 'E-IMPORT-EMPTY' | 'E-IMPORT-CANCELLED' | 'E-IMPORT-NOT-CSV' | 'E-IMPORT-NETWORK-PATH' | 'E-IMPORT-NOT-CHOSEN' | 'E-IMPORT-BUSY' | 'E-CONTACT-NO-ENTRY' | 'E-CONTACT-TAKEN' | 'E-CONTACT-NOTE' | 'E-LETTER-FONT' | 'E-LETTER-MAKE' | 'E-LETTER-EMPTY' | 'E-LETTER-CONTACT' | 'E-REPORT-TOO-LARGE' | 'E-REPORT-FORMAT' | 'E-REPORT-ROWS' | 'E-REPORT-EMPTY' | 'E-LOOKUP-NOT-READY' | 'E-LOOKUP-NOT-FOUND' | 'E-EXPORT-WRITE' | 'E-VIEW-NAME' | 'E-SYNC-NOT-CONFIGURED' | 'E-SYNC-HTTP' | 'E-SYNC-CONFIG' | 'E-SYNC-CA-FILE' | 'E-SYNC-CERTIFICATE' | 'E-SYNC-OFFLINE' | 'E-SYNC-5XX' | 'E-SYNC-BUSY' | 'E-SYNC-401' | 'E-SYNC-409' | 'E-SYNC-PROTOCOL' | 'E-SYNC-REFUSED' | 'E-SYNC-DEPENDENT' | 'E-KEYCHAIN-EMPTY' | 'E-KEYCHAIN-UNAVAILABLE' | 'E-AUTH' | 'E-AUTH-PREFECTURE' | 'E-API-BODY' | 'E-API-RATE' | 'E-API-BUSY' | 'E-API-TIMEOUT' | 'E-API-IDEMPOTENCY-REUSED' | 'E-API-IDEMPOTENCY' | 'E-API-QUERY' | 'E-API-CALL' | 'E-API-CONTACT' | 'E-API-REMINDERS' | 'E-PREF-CONTACT' | 'E-PREF-REMINDERS' | 'E-PREF-PRACTICE' | 'E-RETENTION-DAYS' | 'E-RECORD-STALE' | 'E-API-NOT-FOUND' | 'E-SERVER-STORAGE' | 'E-UI-CLIPBOARD' | 'E-UI-UNEXPECTED' | 'FLAG-CODE-CHECK' | 'FLAG-CODE-MISSING' | 'FLAG-KIND-TABLE' | 'FLAG-CODE-UNKNOWN' | 'FLAG-MATERNITY-UNLISTED' | 'FLAG-NAME-MISMATCH' | 'FLAG-ADDRESS-MISMATCH' | 'FLAG-INSTITUTION-CODE' | 'FLAG-DUPLICATE' | 'FLAG-ACCOUNT-EXISTS' | 'FLAG-EMAIL' | 'FLAG-EMAIL-UNVERIFIED' | 'FLAG-EMAIL-TYPO' | 'FLAG-PHONE' | 'FLAG-POSTAL' | 'FLAG-POSTAL-PREFECTURE' | 'FLAG-MAIL-UNDELIVERED' | 'FLAG-EMAIL-UNRELATED';

export type ExportReport = { path: string, rows: number, 
/**
 * Characters Shift_JIS could not hold, written as 〓.
 */
replaced: number, };

export type FaqHit = { node: string, title: string, 
/**
 * The start of what the officer would read.
 */
excerpt: string, };

export type FieldError = { field: string, code: string, message: string, };

export type Filled = { subject: string, body: string, };

export type Flag = { code: ErrorCode, message: string, 
/**
 * A corrected value the officer can take over, if there is one.
 */
fix: string | null, 
/**
 * The 差戻し reason that fits, if the officer returns the application for this.
 */
return_reason: ReturnReason | null, };

export type HealthCentre = { contact: WindowContact, municipalities: Array<string>, };

export type History = { audit: Array<AuditEntry>, 
/**
 * Why the server's trail is missing (offline…), in Japanese; the local part still shows.
 */
unavailable: string | null, unsent: Array<OutboxEntry>, 
/**
 * The mails sent about it and what became of each (配信状況), as synced.
 */
notices: Array<NoticeView>, };

export type Hit = { institution: InstitutionRow, 
/**
 * 病院・診療所 … for the stored kind.
 */
kind_ja: string | null, reason: MatchReason, reason_ja: string, };

export type HomeArea = { name: string, municipalities: Array<string>, };

export type IdentityChecks = { phone: boolean, email: boolean, contact_name: boolean, };

export type ImportProgress = { bytes_read: number, 
/**
 * The file's size, where the caller knows it.
 */
total_bytes: number | null, rows: number, };

export type ImportReport = { import_id: number, file_name: string, source: string, encoding: string, 
/**
 * Data rows read (valid, skipped and duplicate).
 */
rows_read: number, imported: number, 
/**
 * Rows repeating a key already read in the same file (the lists carry some).
 */
duplicates: number, skipped_count: number, 
/**
 * The first skipped rows, with their lines.
 */
skipped: Array<SkippedRow>, prefectures: Array<string>, opened: number, closed: number, renamed: number, moved: number, 
/**
 * The first changes of each kind, by name.
 */
changes: Array<Change>, };

export type ImportSummary = { file_name: string, imported_at: string, };

export type InstitutionDetail = { municipality_code: string | null, 
/**
 * The import that last listed it.
 */
listed_in: string, listed_at: string, 
/**
 * The import that no longer listed it, if any.
 */
closed_in: string | null, id: number, source: string, source_key: string, insurance_code: string | null, kind: string | null, name: string, kana: string | null, prefecture: string, postal_code: string | null, address: string, phone: string | null, 
/**
 * No longer in the latest list of its source (廃止・休止, or moved out).
 */
closed: boolean, };

export type InstitutionKind = "hospital" | "clinic" | "dental_clinic" | "maternity_home" | "pharmacy";

export type InstitutionRow = { id: number, source: string, source_key: string, insurance_code: string | null, kind: string | null, name: string, kana: string | null, prefecture: string, postal_code: string | null, address: string, phone: string | null, 
/**
 * No longer in the latest list of its source (廃止・休止, or moved out).
 */
closed: boolean, };

export type LetterReport = { path: string, letters: number, 
/**
 * Letters whose 〒 is blank: the registry's list has no postal code for them.
 */
without_postal_code: number, };

export type Link = "queue" | "lookup" | "reporting_window" | "login_disclosure";

export type MailFact = "not_decided" | "application_returned" | "application_rejected" | "sent" | "deferred" | "mailbox_full" | "no_such_user" | "rejected" | "not_sent";

export type MailFacts = { application_id: number, fact: MailFact, said: string, 
/**
 * When the applicant last read the status page (申請状況の確認), and whether they told
 * the window from it that the mail did not arrive: what they saw there is `said`.
 */
status_page: string | null, };

export type MailHealth = { prefecture: Prefecture, 
/**
 * The last [`RECENT_HOURS`] hours.
 */
recent: MailTally, 
/**
 * The [`BASELINE_DAYS`] days before them.
 */
baseline: MailTally, 
/**
 * The domains with most failures over both windows, most first.
 */
refusing_domains: Array<DomainTally>, 
/**
 * 疎通確認 mails over both windows (of applications still on record), and how many of
 * them were confirmed.
 */
checks_sent: number, checks_confirmed: number, 
/**
 * The last day's trouble rate is over twice the week's, with at least five troubled
 * notices: a change worth a look (a provider blocking the prefecture's mail).
 */
worse_than_usual: boolean, };

export type MailTally = { notices: number, 
/**
 * Handed to the relay and not (yet) reported back as failed: 送信済み, 配信済み, 遅延.
 */
accepted: number, 
/**
 * 送信失敗: the relay refused (relay side).
 */
relay_refused: number, 
/**
 * 不達: the receiving side returned it (recipient side).
 */
bounced: number, mailbox_full: number, no_such_user: number, rejected: number, other: number, 
/**
 * Refused and bounced notices per thousand that left the queue (0 when none did).
 */
trouble_per_mille: number, };

export type MailedReport = { 
/**
 * Queued on the server, to be tracked as notices (a bounce returns it to 要連絡).
 */
queued: number, 
/**
 * Institutions with no application the desk holds: no address known; letters are next.
 */
without_address: Array<string>, 
/**
 * Refused by the server (its application not found there).
 */
refused: Array<string>, };

export type MatchReason = { "kind": "code" } | { "kind": "code_seven_digits" } | { "kind": "code_slip", edit: string, } | { "kind": "postal_code" } | { "kind": "phone" } | { "kind": "name_start" } | { "kind": "name" } | { "kind": "kana" } | { "kind": "corporate_name" } | { "kind": "address" };

export type Node = { kind: NodeKind, title: string, 
/**
 * What the officer reads to the caller.
 */
say: string, 
/**
 * For the officer only.
 */
note: string | null, choices: Array<Choice>, next: string | null, outcome: Outcome | null, links: Array<Link>, 
/**
 * The seed's items this node answers.
 */
seed: Array<string>, 
/**
 * Mail facts that lead a call linked to an application straight here.
 */
enter_on: Array<MailFact>, 
/**
 * At this question a call linked to an application goes on from its mail facts.
 */
ask_facts: boolean, 
/**
 * The national wording, when a prefecture's replaces it (都道府県版).
 */
national_say: string | null, };

export type NodeKind = "ask" | "instruct" | "end";

export type NoticeKind = "issuance" | "existing_account" | "returned" | "rejected" | "address_check" | "reminder";

export type NoticePreview = { to: string, subject: string, body: string, };

export type NoticeView = { id: number, kind: NoticeKind, kind_ja: string, 
/**
 * The officer's own screen: the address in full.
 */
to: string, subject: string, state: DeliveryState, state_ja: string, steps: Array<DeliveryStep>, };

export type OutboxEntry = { id: number, application_id: number, expected_version: number, action: Action, note: string | null, idempotency_key: string, created_at: string, state: string, attempts: number, last_error: string | null, };

export type Outcome = "resolved" | "reapply" | "prefecture_contacts" | "escalate";

export type Overrides = { 
/**
 * Node id → the text to read instead of the national one.
 */
say: { [key in string]: string }, 
/**
 * Fact name → the prefecture's value (its mails come from another sender as well).
 */
facts: { [key in string]: string }, };

export type PageRequest = { offset: number, limit: number, 
/**
 * The selected application, kept where the filter still holds it…
 */
keep: number | null, 
/**
 * …else the line now at this index takes its place (the next one, after a decision
 * took the selected one out of the filter).
 */
at: number | null, };

export type Practice = { 
/**
 * The schemes its window serves; none listed is all three.
 */
schemes: Array<Scheme>, 
/**
 * A scheme's own 定期報告期間 (医療機能情報 and 薬局機能情報 often differ).
 */
periods: Array<SchemePeriod>, 
/**
 * What the window says follows its deadline (延長の有無・督促・公表), read out after it.
 */
after_deadline: string, 
/**
 * Whether an institution with no internet may report on paper (書面・紙の調査票).
 */
paper_accepted: boolean, 
/**
 * How the paper form is obtained (窓口から郵送, the prefecture's page …).
 */
paper_how: string, 
/**
 * 保健所, with the municipalities each covers.
 */
health_centres: Array<HealthCentre>, 
/**
 * The questions sent to the 保健所 first.
 */
routed: Array<Topic>, 
/**
 * The prefecture's self-check sheet or flowchart (https://…), offered first.
 */
self_check_url: string, 
/**
 * 要連絡: when institutions are listed for the window to contact.
 */
outreach: Timing, };

export type Prefecture = string;

export type PrefectureDraft = { 
/**
 * The 定期報告 window of every scheme without its own in `practice`.
 */
window: ReportingWindow | null, overrides: Overrides, retention_days: number | null, 
/**
 * A contact left all blank is none.
 */
contact: WindowContact | null, practice: Practice, reminders: Array<ReminderTemplate>, };

export type PrefectureSettings = { prefecture: Prefecture, 
/**
 * The 定期報告 window of every scheme without its own in `practice`.
 */
reporting_window: ReportingWindow | null, triage_overrides: Overrides, updated_at: string, updated_by: string, 
/**
 * 保存期間: days after a decision (or a call's end) that desks keep its personal data;
 * none set is [`DEFAULT_RETENTION_DAYS`].
 */
retention_days: number | null, 
/**
 * 窓口の連絡先, named in the prefecture's mails and at the tree's call-back endings.
 */
contact: WindowContact | null, 
/**
 * 都道府県の運用: schemes, periods per scheme, paper reports, 保健所 and their topics.
 */
practice: Practice, 
/**
 * Its own wording of 報告依頼・督促・申請のお願い (none: the national wording).
 */
reminders: Array<ReminderTemplate>, 
/**
 * As [`CallRecord::version`].
 */
version: number, };

export type PrefectureView = { code: string, name: string, };

export type ProxyOutcome = { receipt: Receipt | null, fields: Array<FieldError>, };

export type QueueFilter = { 
/**
 * Empty: every status.
 */
statuses: Array<ApplicationStatus>, kinds: Array<InstitutionKind>, submitted_by: SubmittedBy | null, 
/**
 * Some(true): flagged only; Some(false): clean only.
 */
flagged: boolean | null, min_age_days: number | null, 
/**
 * Name, reading, codes, email or phone, folded like the registry's lookup.
 */
text: string | null, 
/**
 * 管轄: only institutions whose address lies in these municipalities (a 保健所's area);
 * empty: the whole prefecture.
 */
area: Array<string>, sort: QueueSort, };

export type QueueItem = { id: number, name: string, kind: InstitutionKind, status: ApplicationStatus, pending_sync: boolean, flags: number, age_minutes: number, submitted_by: SubmittedBy, 
/**
 * 再申請: it corrects a returned application.
 */
resubmission: boolean, };

export type QueuePage = { 
/**
 * Index of `items[0]` in the filtered list.
 */
offset: number, items: Array<QueueItem>, 
/**
 * How many lines the filter keeps: the list's length.
 */
matched: number, 
/**
 * Every application the desk holds, by status (before filtering).
 */
counts: { [key in string]: number }, total: number, ages: Array<AgeBucket>, 
/**
 * Where the selection is now (see `PageRequest`); none when nothing matches.
 */
selected: QueuePosition | null, };

export type QueuePosition = { index: number, id: number, };

export type QueueRow = { application: Application, 
/**
 * What the desk shows: the server's status with this desk's unsent actions applied.
 */
status: ApplicationStatus, pending_sync: boolean, flags: Array<Flag>, 
/**
 * Minutes since the application was received.
 */
age_minutes: number, };

export type QueueSort = "oldest" | "newest" | "name";

export type Reason = { "kind": "notice_undelivered", notice_id: number, 
/**
 * A reminder (報告依頼・督促…), not a decision's notice.
 */
reminder: boolean, bounced: boolean, category: BounceCategory | null, diagnostic: string | null, } | { "kind": "unconfirmed", application_id: number, lapsed_on: string, } | { "kind": "mail_missing", application_id: number, asked_on: string, } | { "kind": "returned", application_id: number, returned_on: string, days: number, } | { "kind": "not_applied", period_starts: string, } | { "kind": "not_reported", scheme: Scheme, deadline: string, days_left: number, };

export type ReasonKind = "mail_missing" | "undelivered" | "unconfirmed" | "returned" | "not_reported" | "not_applied";

export type Receipt = { id: number, prefecture: Prefecture, received_at: string, };

export type RegistryStatus = { ready: boolean, institutions: number, last_import: ImportSummary | null, };

export type RejectReason = "duplicate" | "not_covered" | "closed" | "not_confirmed" | "other";

export type ReminderKind = "report_request" | "dunning" | "apply_request";

export type ReminderTemplate = { kind: ReminderKind, subject: string, body: string, };

export type ReportImport = { file_name: string, encoding: string, rows: number, reported: number, not_reported: number, 
/**
 * The schemes and periods (first day) the file replaced.
 */
periods: Array<[Scheme, string]>, };

export type ReportingAnswer = { "state": "not_set" } | { "state": "before", starts: string, days: number, } | { "state": "open", ends: string, days_left: number, } | { "state": "after", ended: string, };

export type ReportingView = { scheme: Scheme | null, answer: ReportingAnswer, message: string, suggested_choice: number | null, };

export type ReportingWindow = { starts: string, ends: string, };

export type RetentionView = { days: number, 
/**
 * Applications and calls whose personal data this desk has purged, in all.
 */
applications_purged: number, calls_purged: number, last_run_at: string | null, };

export type ReturnReason = "institution_code_wrong" | "insurance_code_wrong" | "kind_mismatch" | "name_mismatch" | "address_wrong" | "email_wrong" | "phone_wrong" | "contact_incomplete" | "other";

export type SavedView = { name: string, filter: QueueFilter, };

export type Scheme = "medical" | "pharmacy" | "kakaritsuke";

export type SchemePeriod = { scheme: Scheme, window: ReportingWindow, };

export type SearchResult = { hits: Array<Hit>, 
/**
 * Institutions in the index searched, so the window notices a registry that changed.
 */
indexed: number, 
/**
 * Present when the query is a code: its canonical form, or the check error.
 */
code_check: CodeCheck | null, };

export type SkippedRow = { line: number, message: string, };

export type Standing = "account" | "applying" | "returned" | "not_applied";

export type StandingCounts = { account: number, applying: number, returned: number, not_applied: number, 
/**
 * 報告済 (of all four): known once a 報告状況 file is imported for the period.
 */
reported: number, };

export type StateCounts = { open: number, taken: number, done: number, };

export type StatusPageUse = { 
/**
 * When the applicant last read the page (RFC 3339, UTC).
 */
looked_at: string | null, 
/**
 * When the applicant last told the window, from the page, that the mail did not arrive
 * (at most once a day).
 */
mail_missing_at: string | null, };

export type SubmittedBy = "institution" | "prefecture";

export type SuggestionView = { code: CodeView, 
/**
 * The slip in words, e.g. `8桁目と9桁目の入れ替え`.
 */
edit: string, };

export type SyncOverview = { configured: boolean, online: boolean, last_sync_at: string | null, 
/**
 * What the last sync left undone, in the officer's words, and its code (E-SYNC-401:
 * the token needs registering again in 設定).
 */
last_error: string | null, last_error_code: ErrorCode | null, 
/**
 * How the store opened, when the officer should know (encrypted, set aside).
 */
store_notice: string | null, pending: number, rejected: number, 
/**
 * Days until the officer's token ends, once fewer than [`TOKEN_WARN_DAYS`]: the status
 * bar asks for a new one (`officer rotate` by the server's operator) before syncing stops.
 */
token_days_left: number | null, };

export type SyncReport = { sent: number, rejected: number, pulled: number, };

export type Timing = { 
/**
 * 差戻し: listed this many days after the return without a resubmission.
 */
returned_after_days: number, 
/**
 * 未申請: listed from this many days before the 定期報告期間 opens until it ends.
 */
not_applied_days_before: number, 
/**
 * 未報告: listed in the last this many days before the deadline.
 */
not_reported_days_before: number, };

export type Topic = "login" | "codes";

export type Tree = { version: string, start: string, nodes: { [key in string]: Node }, 
/**
 * What G-MIS or the prefecture decides and may change — the senders to allow, the labels
 * of G-MIS's screens, the time issuance takes — by name, each said in one place: a node
 * names one as `{name}` ([`Tree::for_caller`]).
 */
facts: { [key in string]: string }, 
/**
 * The national value of each fact the prefecture set its own for.
 */
national_facts: { [key in string]: string }, 
/**
 * The prefecture whose wording is laid over the national one, if any.
 */
prefecture: string | null, };

export type UiError = { 
/**
 * Stable code such as `E-CODE-CHECK`, quoted to support and matched by the UI.
 */
code: ErrorCode, 
/**
 * What the officer reads, in Japanese.
 */
message: string, };

export type Vocabulary = { statuses: Array<[ApplicationStatus, string]>, kinds: Array<[InstitutionKind, string]>, return_reasons: Array<[ReturnReason, string]>, 
/**
 * The same reasons as a pharmacy's 差戻し names them (保険薬局コードの誤り).
 */
pharmacy_return_reasons: Array<[ReturnReason, string]>, reject_reasons: Array<[RejectReason, string]>, 
/**
 * How a call ended: 解決, 再申請案内 …
 */
outcomes: Array<[Outcome, string]>, };

export type When = "medical" | "pharmacy" | "kakaritsuke" | "login_at_health_centre" | "codes_at_health_centre" | "codes_at_window" | "paper_accepted" | "paper_refused" | "self_check";

export type WindowContact = { 
/**
 * 窓口名, e.g. 東京都保健医療局 医療政策部 医療政策課.
 */
name: string, phone: string, 
/**
 * 受付時間, as the window words it (平日 9時〜17時).
 */
hours: string, email: string, };

export type WorkEntry = { id: string, reason: Reason, 
/**
 * The reason as the list says it.
 */
said: string, institution_name: string, insurance_code: string | null, 
/**
 * The scheme it reports under (a pharmacy's 薬局機能情報, else 医療機能情報).
 */
scheme: Scheme, 
/**
 * The phone to call: the registry's, else the one the application gave.
 */
phone: string | null, postal_code: string | null, address: string | null, application_id: number | null, state: EntryState, 
/**
 * 連絡記録, once a desk took or contacted it.
 */
contact: ContactRecord | null, };

export type Worklist = { counts: Array<[ReasonKind, StateCounts]>, entries: Array<WorkEntry>, 
/**
 * Entries that match the filter, before the page was cut.
 */
matching: number, };

export type WorklistFilter = { reason: ReasonKind | null, state: EntryState | null, offset: number, 
/**
 * At most this many (none: 500).
 */
limit: number | null, };
