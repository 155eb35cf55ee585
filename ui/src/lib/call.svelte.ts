// 対応中: the call in progress, shared by the frame (which keeps it in view), トラブル対応
// (which walks it) and the lookup and queue (whose institution or application it picks up).
import { api, type CallInstitution, type CallRecord } from './api';

export const current = $state<{ call: CallRecord | null }>({ call: null });

/** Links what the officer looked at to the active call, unless it already has one. */
export async function pickUp(what: { institution?: CallInstitution; application_id?: number }) {
  const call = current.call;
  if (!call || call.state === 'finished') return;
  const institution = call.institution ?? what.institution ?? null;
  const application_id = call.application_id ?? what.application_id ?? null;
  if (institution === call.institution && application_id === call.application_id) return;
  current.call = await api.linkCall(call.id, { institution, application_id });
}

/** 対応開始 (Ctrl+N from any place): a new call at the tree's start, unless one is going. */
export async function startCall(): Promise<CallRecord> {
  if (current.call && current.call.state !== 'finished') return current.call;
  current.call = await api.startCall();
  return current.call;
}
