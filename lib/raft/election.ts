/**
 * Elections: answering (pre-)vote requests under the §5.4.1 restriction, and campaigning, with
 * pre-vote first (thesis §9.6) unless the leader handed over with TimeoutNow.
 */
import { CAMPAIGN_TRANSFER, type Message, MessageType } from "./messages.ts";
import type { CampaignKind, Raft } from "./raft.ts";
import { bcastAppend } from "./replication.ts";
import { NO_NODE } from "./types.ts";

export function handleVoteRequest(raft: Raft, m: Message): void {
  const preVote = m.type === MessageType.PreVote;
  const responseType = preVote ? MessageType.PreVoteResponse : MessageType.VoteResponse;
  const canVote =
    raft.vote === m.from ||
    (raft.vote === NO_NODE && raft.lead === NO_NODE) ||
    (preVote && m.term > raft.term);
  if (canVote && raft.log.isUpToDate(m.index, m.logTerm)) {
    // A granted pre-vote answers with the proposed term so the pre-candidate counts it.
    raft.send({ type: responseType, to: m.from, term: m.term });
    if (!preVote) {
      raft.electionElapsed = 0;
      raft.vote = m.from;
    }
  } else {
    raft.send({ type: responseType, to: m.from, reject: true });
  }
}

export function hup(raft: Raft, kind: CampaignKind): void {
  if (raft.role === "leader" || !raft.promotable()) return;
  campaign(raft, kind);
}

export function campaign(raft: Raft, kind: CampaignKind): void {
  let voteType: MessageType;
  let term: number;
  if (kind === "preElection") {
    raft.becomePreCandidate();
    voteType = MessageType.PreVote;
    term = raft.term + 1;
  } else {
    raft.becomeCandidate();
    voteType = MessageType.Vote;
    term = raft.term;
  }
  raft.tracker.recordVote(raft.id, true);
  if (raft.tracker.tally() === "won") {
    winElection(raft, kind);
    return;
  }
  for (const voter of raft.tracker.conf.voters) {
    if (voter === raft.id) continue;
    raft.send({
      type: voteType,
      to: voter,
      term,
      index: raft.log.lastIndex(),
      logTerm: raft.log.lastTerm(),
      context: kind === "transfer" ? CAMPAIGN_TRANSFER : 0,
    });
  }
}

export function winElection(raft: Raft, kind: CampaignKind): void {
  if (kind === "preElection") campaign(raft, "election");
  else {
    raft.becomeLeader();
    bcastAppend(raft);
  }
}
